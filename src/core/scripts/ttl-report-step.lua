#!lua flags=no-writes,allow-cross-slot-keys
--[=[
  ttl-report-step: one bounded SCAN step on this node, reading the TTL of every key a family rule
  matches (read-only: keys and TTLs never cross the wire, only counts).

  KEYS     none
  ARGV[1]  the SCAN cursor
  ARGV[2]  MATCH filter ("" = none)
  ARGV[3]  COUNT hint
  ARGV[4]  required prefix ("" = none): keys outside it are not looked at (tenant)
  ARGV[5]  P, the number of protected entries; then P pairs: kind, bytes (as keyspace-step)
  then     R, the number of rules; then R groups of six, as keyspace-step (shape, text, mode,
           threshold = the policy TTL in ms, now, field); a key is judged by the first rule it matches
  then     E, the number of bucket edges (ms, ascending); then the E edges

  Returns { cursor, examined, then per rule: keys, noTtl, above, minMs, maxMs, then E + 1 bucket counts }
    noTtl    keys without a TTL (PTTL -1)
    above    keys whose TTL exceeds the policy
    min/max  smallest and largest remaining TTL among keys with one (-1 when none)
    buckets  keys with a TTL by remaining time: <= edge 1, <= edge 2, …, above the last edge
]=]
local cursor = ARGV[1]

--#include key-rules

local at = read_guard(ARGV[4], 5)
local rules, ruleCount
rules, ruleCount, at = read_rules(at, function(b)
  return { policy = tonumber(ARGV[b + 4]) or 0, keys = 0, noTtl = 0, above = 0, min = -1, max = -1, buckets = {} }
end)
local edges = {}
for i = 1, tonumber(ARGV[at]) do edges[i] = tonumber(ARGV[at + i]) end
for i = 1, ruleCount do
  for e = 1, #edges + 1 do rules[i].buckets[e] = 0 end
end

local args = { 'SCAN', cursor }
if ARGV[2] ~= '' then
  args[#args + 1] = 'MATCH'
  args[#args + 1] = ARGV[2]
end
args[#args + 1] = 'COUNT'
args[#args + 1] = ARGV[3]
local step = redis.call(unpack(args))
local examined = 0
for _, key in ipairs(step[2]) do
  examined = examined + 1
  if not guard_of(key) then
    local r = rule_of(key)
    if r then
      local rule = rules[r]
      local pttl = redis.call('PTTL', key)
      if pttl ~= -2 then
        rule.keys = rule.keys + 1
        if pttl == -1 then
          rule.noTtl = rule.noTtl + 1
        else
          if pttl > rule.policy then rule.above = rule.above + 1 end
          if rule.min < 0 or pttl < rule.min then rule.min = pttl end
          if pttl > rule.max then rule.max = pttl end
          local b = #edges + 1
          for e = 1, #edges do
            if pttl <= edges[e] then
              b = e
              break
            end
          end
          rule.buckets[b] = rule.buckets[b] + 1
        end
      end
    end
  end
end

local out = { step[1], examined }
for i = 1, ruleCount do
  local rule = rules[i]
  out[#out + 1] = rule.keys
  out[#out + 1] = rule.noTtl
  out[#out + 1] = rule.above
  out[#out + 1] = rule.min
  out[#out + 1] = rule.max
  for e = 1, #edges + 1 do out[#out + 1] = rule.buckets[e] end
end
return out
