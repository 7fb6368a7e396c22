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
local required = ARGV[4]
local at = 5
local protected = {}
local protectedCount = tonumber(ARGV[at])
for i = 1, protectedCount do
  protected[i] = { kind = ARGV[at + 2 * i - 1], bytes = ARGV[at + 2 * i] }
end
at = at + 2 * protectedCount + 1
local ruleCount = tonumber(ARGV[at])
local rules = {}
local anyRule, globs = nil, {}
local exact, prefixes, suffixes = {}, {}, {}
local prefixLengths, suffixLengths = {}, {}
local function index(tables, lengths, text, i)
  local n = #text
  local t = tables[n]
  if not t then
    t = {}
    tables[n] = t
    lengths[#lengths + 1] = n
  end
  if not t[text] then t[text] = i end
end
for i = 1, ruleCount do
  local b = at + 6 * (i - 1)
  local shape, text = ARGV[b + 1], ARGV[b + 2]
  rules[i] = { policy = tonumber(ARGV[b + 4]) or 0, keys = 0, noTtl = 0, above = 0, min = -1, max = -1, buckets = {} }
  if shape == 'any' then
    if not anyRule then anyRule = i end
  elseif shape == 'exact' then
    if not exact[text] then exact[text] = i end
  elseif shape == 'prefix' then
    index(prefixes, prefixLengths, text, i)
  elseif shape == 'suffix' then
    index(suffixes, suffixLengths, text, i)
  else
    globs[#globs + 1] = { i = i, pattern = text }
  end
end
at = at + 6 * ruleCount + 1
local edges = {}
for i = 1, tonumber(ARGV[at]) do edges[i] = tonumber(ARGV[at + i]) end
for i = 1, ruleCount do
  for e = 1, #edges + 1 do rules[i].buckets[e] = 0 end
end

local function guarded(key)
  if required ~= '' and string.sub(key, 1, #required) ~= required then return true end
  for _, p in ipairs(protected) do
    if p.kind == 'e' then
      if key == p.bytes then return true end
    elseif string.sub(key, 1, #p.bytes) == p.bytes then
      return true
    end
  end
  return false
end

local function rule_of(key)
  local best = anyRule
  local e = exact[key]
  if e and (not best or e < best) then best = e end
  local len = #key
  if len == 0 then return best end
  for _, n in ipairs(prefixLengths) do
    if n <= len then
      local i = prefixes[n][string.sub(key, 1, n)]
      if i and (not best or i < best) then best = i end
    end
  end
  for _, n in ipairs(suffixLengths) do
    if n <= len then
      local i = suffixes[n][string.sub(key, len - n + 1)]
      if i and (not best or i < best) then best = i end
    end
  end
  for _, g in ipairs(globs) do
    if best and g.i > best then break end
    if string.find(key, g.pattern) then return g.i end
  end
  return best
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
  if not guarded(key) then
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
