--[[
  stats-step.lua: one bounded step of `cachectl stats` on one node. Visits keys (by SCAN from a
  cursor, or by RANDOMKEY draws), classifies each one (queue key, key family, or unknown namespace)
  and returns only aggregates, so keys do not cross the wire.

  KEYS: none. The script only touches keys that SCAN or RANDOMKEY on this node has just returned
  (read-only calls, all on this node, so a cluster needs no allow-cross-slot-keys flag).
  ARGV[1]  source: "scan" (resume SCAN at ARGV[2]) or "random" (RANDOMKEY draws)
  ARGV[2]  SCAN cursor ("0" to start; ignored for "random")
  ARGV[3]  budget: scan until at least this many keys were visited (or the cursor is 0), or draw
           this many random keys
  ARGV[4]  COUNT hint per SCAN call
  ARGV[5]  inspect every n-th family key (MEMORY USAGE, OBJECT IDLETIME, TTL value); 0 = none
  ARGV[6]  "1" when OBJECT IDLETIME may be called (not under an LFU maxmemory-policy)
  ARGV[7]  namespace depth: how many leading ":"-separated segments name an unknown namespace
  ARGV[8]  N, the number of matchers, then N triples in priority order (queue prefixes first, then
           families in config order):
             group   0 = queue key, f >= 1 = family number f
             first   the byte every matching key starts with ("" when it may start with any byte)
             pattern an anchored Lua pattern

  Returns { cursor, visited, queueKeys, families, namespaces, metaKeys, sampledQueueKeys }
    families   one entry per family: { keys, withoutTtl, minTtlMs, maxTtlMs, inspected,
               memoryBytes, memorySampled, maxIdleSeconds, idlestKey|false, ttlsMs{} }
               (min/max/idle -1 when unknown; ttlsMs = TTL values of the inspected keys)
    namespaces flat { prefix, count, ... } of keys no matcher claimed ("" = no ":" in the key)
    metaKeys   queue keys ending in ":meta" (one per BullMQ queue)
    sampledQueueKeys  "random" only: the distinct queue keys drawn (they name the queues the
               sample reveals; a full pass finds queues by their meta keys instead)
]]
local source = ARGV[1]
local cursor = ARGV[2]
local budget = tonumber(ARGV[3])
local count = ARGV[4]
local every = tonumber(ARGV[5])
local idleAllowed = ARGV[6] == '1'
local depth = tonumber(ARGV[7])
local n = tonumber(ARGV[8])

local find, sub, byte, call, pcallRedis = string.find, string.sub, string.byte, redis.call, redis.pcall
local groups, firsts, patterns = {}, {}, {}
local nf = 0
for i = 1, n do
  local at = 8 + (i - 1) * 3
  groups[i] = tonumber(ARGV[at + 1])
  firsts[i] = ARGV[at + 2] ~= '' and byte(ARGV[at + 2]) or -1
  patterns[i] = ARGV[at + 3]
  if groups[i] > nf then nf = groups[i] end
end

-- Matchers that can claim a key starting with byte b, in priority order; built on first use so
-- most keys try one pattern.
local byFirst = {}
local function candidates(b)
  local list = {}
  for i = 1, n do
    if firsts[i] == -1 or firsts[i] == b then list[#list + 1] = i end
  end
  byFirst[b] = list
  return list
end

local keys, noTtl, minTtl, maxTtl, inspected, mem, memN, idleMax, idleKey, ttls = {}, {}, {}, {}, {}, {}, {}, {}, {}, {}
for f = 1, nf do
  keys[f] = 0; noTtl[f] = 0; minTtl[f] = -1; maxTtl[f] = -1; inspected[f] = 0
  mem[f] = 0; memN[f] = 0; idleMax[f] = -1; idleKey[f] = false; ttls[f] = {}
end
local namespaces, nsOrder, metaKeys = {}, {}, {}
local sampledQueue, sampledSeen = {}, {}
local keepQueueKeys = source == 'random'
local visited, queueKeys, sinceInspected = 0, 0, 0

local function namespaceOf(key)
  local at = 0
  for _ = 1, depth do
    local colon = find(key, ':', at + 1, true)
    if not colon then break end
    at = colon
  end
  if at == 0 then return '' end
  return sub(key, 1, at)
end

local function inspect(group, key, ttl)
  inspected[group] = inspected[group] + 1
  if ttl >= 0 then local list = ttls[group]; list[#list + 1] = ttl end
  local bytes = pcallRedis('MEMORY', 'USAGE', key)
  if type(bytes) == 'number' then
    mem[group] = mem[group] + bytes
    memN[group] = memN[group] + 1
  end
  if idleAllowed then
    local idle = pcallRedis('OBJECT', 'IDLETIME', key)
    if type(idle) == 'number' and idle > idleMax[group] then
      idleMax[group] = idle
      idleKey[group] = key
    end
  end
end

-- The next batch of keys: one SCAN call, or up to COUNT random draws.
local drawn = 0
local function nextBatch()
  if source == 'random' then
    local batch = {}
    local size = math.min(tonumber(count), budget - drawn)
    for i = 1, size do
      local key = call('RANDOMKEY')
      if not key then drawn = budget; return batch end
      batch[i] = key
    end
    drawn = drawn + size
    return batch
  end
  local reply = call('SCAN', cursor, 'COUNT', count)
  cursor = reply[1]
  return reply[2]
end

local function done()
  if source == 'random' then return drawn >= budget end
  return cursor == '0' or visited >= budget
end

-- The loop body runs once per key of the keyspace in --exact, so it is written out inline.
repeat
  local batch = nextBatch()
  visited = visited + #batch
  for k = 1, #batch do
    local key = batch[k]
    local b = byte(key, 1) or -2
    local list = byFirst[b] or candidates(b)
    local group = nil
    for c = 1, #list do
      local m = list[c]
      if find(key, patterns[m]) then group = groups[m]; break end
    end
    if group == 0 then
      queueKeys = queueKeys + 1
      if sub(key, -5) == ':meta' then metaKeys[#metaKeys + 1] = key end
      if keepQueueKeys and not sampledSeen[key] then
        sampledSeen[key] = true
        sampledQueue[#sampledQueue + 1] = key
      end
    elseif group then
      local ttl = call('PTTL', key)
      if ttl ~= -2 then -- -2: expired while we looked
        keys[group] = keys[group] + 1
        if ttl == -1 then
          noTtl[group] = noTtl[group] + 1
        else
          if minTtl[group] < 0 or ttl < minTtl[group] then minTtl[group] = ttl end
          if ttl > maxTtl[group] then maxTtl[group] = ttl end
        end
        if every > 0 then
          sinceInspected = sinceInspected + 1
          if sinceInspected >= every then
            sinceInspected = 0
            inspect(group, key, ttl)
          end
        end
      end
    else
      local ns = namespaceOf(key)
      local seen = namespaces[ns]
      if seen then
        namespaces[ns] = seen + 1
      else
        namespaces[ns] = 1
        nsOrder[#nsOrder + 1] = ns
      end
    end
  end
until done()
if source == 'random' then cursor = '0' end

local families = {}
for f = 1, nf do
  families[f] = { keys[f], noTtl[f], minTtl[f], maxTtl[f], inspected[f], mem[f], memN[f], idleMax[f], idleKey[f], ttls[f] }
end
local flat = {}
for i, ns in ipairs(nsOrder) do
  flat[2 * i - 1] = ns
  flat[2 * i] = namespaces[ns]
end
return { cursor, visited, queueKeys, families, flat, metaKeys, sampledQueue }
