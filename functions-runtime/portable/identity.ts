// The AWS-shaped names a portable handler sees (ARNs, a region, an account). Stratus has no accounts
// or regions, so these are fixed strings in one place: shaped like AWS's (`arn:<partition>:<service>:
// <region>:<account>:<resource>`, so code that splits an ARN on `:` finds each part where it expects it),
// with the partition `stratus` so that no one mistakes them for real AWS resources.

/** What a portable handler reads as its region (`awsRegion` of an SQS record, inside ARNs). */
export const PORTABLE_REGION = 'local'

/** The account part of every ARN: twelve digits, as code that checks an account id expects. */
export const PORTABLE_ACCOUNT = '000000000000'

/** `context.invokedFunctionArn`: the function qualified with the version that runs. */
export function functionArn(name: string, version: number): string {
  return `arn:stratus:functions:${PORTABLE_REGION}:${PORTABLE_ACCOUNT}:function:${name}:${version}`
}

/** `eventSourceARN` of an SQS record: the Stratus queue it came from. */
export function queueArn(queue: string): string {
  return `arn:stratus:queue:${PORTABLE_REGION}:${PORTABLE_ACCOUNT}:${queue}`
}
