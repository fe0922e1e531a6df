import { describe, expect, it } from 'vitest'
import { partitionRule, RULE_COMMENT, staleRuleDeletions } from './partition.ts'

describe('partitionRule', () => {
  it('drops the uid’s TCP packets to the given loopback ports, tagged with our comment', () => {
    const rule = partitionRule(998, [40001, 40002])
    expect(rule.join(' ')).toBe(
      `-m owner --uid-owner 998 -p tcp -d 127.0.0.1 -m multiport --dports 40001,40002 -m comment --comment ${RULE_COMMENT} -j DROP`,
    )
  })

  it('refuses root’s uid and an empty port list', () => {
    expect(() => partitionRule(0, [1])).toThrow(/uid/)
    expect(() => partitionRule(998, [])).toThrow(/port/)
  })
})

describe('staleRuleDeletions', () => {
  it('turns our rules of `iptables -S OUTPUT` into deletions and leaves the others alone', () => {
    const listing = [
      '-P OUTPUT ACCEPT',
      '-A OUTPUT -d 127.0.0.1/32 -p tcp -m owner --uid-owner 998 -m multiport --dports 1,2 -m comment --comment stratus-chaos -j DROP',
      '-A OUTPUT -p tcp -m comment --comment "someone else" -j ACCEPT',
      '-A OUTPUT -p udp -m comment --comment "stratus-chaos" -j DROP',
    ].join('\n')
    expect(staleRuleDeletions(listing)).toEqual([
      '-D OUTPUT -d 127.0.0.1/32 -p tcp -m owner --uid-owner 998 -m multiport --dports 1,2 -m comment --comment stratus-chaos -j DROP'.split(
        ' ',
      ),
      '-D OUTPUT -p udp -m comment --comment stratus-chaos -j DROP'.split(' '),
    ])
  })

  it('finds nothing in a chain without our rules', () => {
    expect(staleRuleDeletions('-P OUTPUT ACCEPT\n')).toEqual([])
  })
})
