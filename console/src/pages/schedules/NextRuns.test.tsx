import { render, screen, within } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { formatInZone, NextRuns } from './NextRuns.tsx'

// Every 30 minutes from 23:00 UTC on 7 December 2026, as the server lists a schedule's next 5 ticks.
const RUNS = [
  '2026-12-07T23:00:00.000Z',
  '2026-12-07T23:30:00.000Z',
  '2026-12-08T00:00:00.000Z',
  '2026-12-08T00:30:00.000Z',
  '2026-12-08T01:00:00.000Z',
]
const NOW = Date.parse('2026-12-07T22:58:00.000Z')

describe('next runs of a schedule', () => {
  it('formats a tick as wall-clock time in the schedule’s zone, with the zone', () => {
    expect(formatInZone(RUNS[0]!, 'Asia/Tokyo', 'en-GB')).toBe('Tue 8 Dec, 08:00:00 GMT+9')
    expect(formatInZone(RUNS[0]!, 'America/New_York', 'en-GB')).toBe('Mon 7 Dec, 18:00:00 GMT-5')
    expect(formatInZone(RUNS[0]!, 'UTC', 'en-GB')).toBe('Mon 7 Dec, 23:00:00 UTC')
  })

  it('lists the five runs in order, in the schedule’s zone, each with how far off it is', () => {
    render(<NextRuns runs={RUNS} timeZone="Asia/Tokyo" now={NOW} />)
    const list = screen.getByRole('list', { name: 'Next runs (Asia/Tokyo)' })
    const items = within(list).getAllByRole('listitem')
    expect(items).toHaveLength(5)
    const times = items.map((item) => item.querySelector('time')!)
    expect(times.map((t) => t.getAttribute('dateTime'))).toEqual(RUNS)
    expect(times.map((t) => t.textContent)).toEqual(RUNS.map((iso) => formatInZone(iso, 'Asia/Tokyo')))
    // Tokyo is 9 hours ahead: 23:00 UTC on the 7th is 08:00 on the 8th there.
    expect(times[0]!.textContent).toMatch(/08:00:00/)
    expect(times[2]!.textContent).toMatch(/09:00:00/)
    expect(items[0]!.textContent).toContain('in 2 minutes')
    expect(items[4]!.textContent).toContain('in 2 hours')
  })

  it('adds the year when the runs reach into another year (a yearly schedule differs in nothing else)', () => {
    const yearly = ['2027-01-01T00:00:00.000Z', '2028-01-01T00:00:00.000Z']
    expect(formatInZone(yearly[0]!, 'UTC', 'en-GB', true)).toBe('Fri, 1 Jan 2027, 00:00:00 UTC')
    render(<NextRuns runs={yearly} timeZone="UTC" now={NOW} />)
    const times = screen.getAllByRole('listitem').map((item) => item.querySelector('time')!.textContent)
    expect(times).toEqual(yearly.map((iso) => formatInZone(iso, 'UTC', undefined, true)))
    expect(times[1]).toContain('2028')
  })

  it('falls back to the viewer’s time for a zone the browser does not know, and says when nothing is due', () => {
    expect(formatInZone(RUNS[0]!, 'Mars/Olympus')).not.toBe(RUNS[0])
    render(<NextRuns runs={[]} timeZone="UTC" />)
    expect(screen.getByText('No run is due.')).toBeTruthy()
  })
})
