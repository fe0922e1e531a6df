import { existsSync } from 'node:fs'

/**
 * Headless Chromium for browser tests: Debian's package (`apt-get install -y chromium`), never a
 * downloaded browser. Without it browser suites are skipped, unless REQUIRE_BROWSER=1 (CI sets it),
 * where a missing browser fails.
 */
export const CHROMIUM = '/usr/bin/chromium'
export const HAS_CHROMIUM = existsSync(CHROMIUM)
export const REQUIRE_BROWSER = process.env.REQUIRE_BROWSER === '1'
export const RUN_BROWSER = HAS_CHROMIUM || REQUIRE_BROWSER
/** These machines' network is closed: without the background-networking flags Chromium's calls out fail noisily. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/** Says once why a browser suite is skipped. */
export function warnIfNoBrowser(suite: string): void {
  if (!RUN_BROWSER) {
    console.warn(
      `${suite} skipped: ${CHROMIUM} is missing (apt-get install -y chromium; REQUIRE_BROWSER=1 makes this a failure)`,
    )
  }
}
