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
  ARGV[8]  top: keep the this many biggest keys (MEMORY USAGE) per family and among unknown keys;
           0 = none. With top > 0 unknown keys are inspected too (MEMORY USAGE only), and a
           "scan" step measures every key it visits (so the biggest keys of a full pass are exact)
  ARGV[9]  tenant prefix: count keys per "<prefix><tenant>:" ("" = do not count tenants)
  ARGV[10] F, the number of families, then F TTL ceilings in ms (0 = none): a key of family f
           whose remaining TTL is above its ceiling is counted in overTtl
  then     N, the number of matchers, then N triples in priority order (queue prefixes first,
           then families in config order):
             group   0 = queue key, f >= 1 = family number f
             first   the byte every matching key starts with ("" when it may start with any byte)
             pattern an anchored Lua pattern

  Returns { cursor, visited, queueKeys, families, namespaces, metaKeys, sampledQueueKeys, unknown,
            tenants }
    families   one entry per family: { keys, withoutTtl, minTtlMs, maxTtlMs, inspected,
               memoryBytes, memorySampled, maxIdleSeconds, idlestKey|false, ttlsMs{}, overTtl,
               sizes{}, top{} } (min/max/idle -1 when unknown; ttlsMs = TTL values and sizes =
               MEMORY USAGE of the inspected keys; top = flat { key, bytes, ... }, biggest first)
    namespaces flat { prefix, count, ... } of keys no matcher claimed ("" = no ":" in the key)
    metaKeys   queue keys ending in ":meta" (one per BullMQ queue)
    sampledQueueKeys  "random" only: the distinct queue keys drawn (they name the queues the
               sample reveals; a full pass finds queues by their meta keys instead)
    unknown    { inspected, sizes{}, top{} } of the keys no matcher claimed (top > 0 only)
    tenants    flat { tenant, count, ... } (tenant prefix given only)
]]
local source = ARGV[1]
local cursor = ARGV[2]
local budget = tonumber(ARGV[3])
local count = ARGV[4]
local every = tonumber(ARGV[5])
local idleAllowed = ARGV[6] == '1'
local depth = tonumber(ARGV[7])
local top = tonumber(ARGV[8])
local tenantPrefix = ARGV[9]
local nf = tonumber(ARGV[10])
local ceilings = {}
for f = 1, nf do ceilings[f] = tonumber(ARGV[10 + f]) end
local base = 11 + nf
local n = tonumber(ARGV[base])

local find, sub, byte, call, pcallRedis = string.find, string.sub, string.byte, redis.call, redis.pcall
local groups, firsts, patterns = {}, {}, {}
for i = 1, n do
  local at = base + (i - 1) * 3
  groups[i] = tonumber(ARGV[at + 1])
  firsts[i] = ARGV[at + 2] ~= '' and byte(ARGV[at + 2]) or -1
  patterns[i] = ARGV[at + 3]
end
local measureAll = top > 0 and source == 'scan'
local tenantLen = #tenantPrefix
local tenants, tenantOrder = {}, {}

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
local overTtl, sizes, biggest = {}, {}, {}
for f = 1, nf do
  keys[f] = 0; noTtl[f] = 0; minTtl[f] = -1; maxTtl[f] = -1; inspected[f] = 0
  mem[f] = 0; memN[f] = 0; idleMax[f] = -1; idleKey[f] = false; ttls[f] = {}
  overTtl[f] = 0; sizes[f] = {}; biggest[f] = {}
end
-- Unknown keys (top > 0): sizes of the inspected ones and the candidates for the biggest.
local unknownInspected, unknownSizes, unknownBiggest = 0, {}, {}
-- RANDOMKEY can draw a key twice: it is a candidate for the biggest once.
local candidateSeen = {}
local function candidate(list, bytes, key)
  if source == 'random' then
    if candidateSeen[key] then return end
    candidateSeen[key] = true
  end
  list[#list + 1] = { bytes, key }
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

-- MEMORY USAGE of a key, or nil (denied by the ACL, or the key expired meanwhile).
local function usage(key)
  local bytes = pcallRedis('MEMORY', 'USAGE', key)
  if type(bytes) == 'number' then return bytes end
  return nil
end

local function inspect(group, key, ttl, bytes)
  inspected[group] = inspected[group] + 1
  if ttl >= 0 then local list = ttls[group]; list[#list + 1] = ttl end
  if bytes == nil then bytes = usage(key) end
  if bytes then
    mem[group] = mem[group] + bytes
    memN[group] = memN[group] + 1
    if top > 0 then local list = sizes[group]; list[#list + 1] = bytes end
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
    else
      if tenantLen > 0 and sub(key, 1, tenantLen) == tenantPrefix then
        local colon = find(key, ':', tenantLen + 1, true)
        if colon then
          local tenant = sub(key, tenantLen + 1, colon - 1)
          local seen = tenants[tenant]
          if seen then tenants[tenant] = seen + 1 else tenants[tenant] = 1; tenantOrder[#tenantOrder + 1] = tenant end
        end
      end
      if group then
        local ttl = call('PTTL', key)
        if ttl ~= -2 then -- -2: expired while we looked
          keys[group] = keys[group] + 1
          if ttl == -1 then
            noTtl[group] = noTtl[group] + 1
          else
            if minTtl[group] < 0 or ttl < minTtl[group] then minTtl[group] = ttl end
            if ttl > maxTtl[group] then maxTtl[group] = ttl end
            if ceilings[group] > 0 and ttl > ceilings[group] then overTtl[group] = overTtl[group] + 1 end
          end
          local bytes = nil
          if measureAll then
            bytes = usage(key)
            if bytes then candidate(biggest[group], bytes, key) end
          end
          if every > 0 then
            sinceInspected = sinceInspected + 1
            if sinceInspected >= every then
              sinceInspected = 0
              bytes = bytes or usage(key)
              inspect(group, key, ttl, bytes)
              if bytes and not measureAll and top > 0 then candidate(biggest[group], bytes, key) end
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
        if top > 0 then
          -- random draws: every key is inspected; a scan step measures every key for the biggest
          -- and keeps the sizes of every n-th one (as for family keys) for the spread.
          local bytes = usage(key)
          if bytes then
            candidate(unknownBiggest, bytes, key)
            sinceInspected = sinceInspected + 1
            if source == 'random' or (every > 0 and sinceInspected >= every) then
              sinceInspected = 0
              unknownInspected = unknownInspected + 1
              unknownSizes[#unknownSizes + 1] = bytes
            end
          end
        end
      end
    end
  end
until done()
if source == 'random' then cursor = '0' end

-- The `top` biggest of a list of { bytes, key }, flat { key, bytes, ... }, biggest first.
local function biggestFirst(list)
  table.sort(list, function(a, b) return a[1] > b[1] end)
  local out = {}
  for i = 1, math.min(top, #list) do
    out[2 * i - 1] = list[i][2]
    out[2 * i] = list[i][1]
  end
  return out
end

local families = {}
for f = 1, nf do
  families[f] = { keys[f], noTtl[f], minTtl[f], maxTtl[f], inspected[f], mem[f], memN[f], idleMax[f], idleKey[f], ttls[f], overTtl[f], sizes[f], biggestFirst(biggest[f]) }
end
local flat = {}
for i, ns in ipairs(nsOrder) do
  flat[2 * i - 1] = ns
  flat[2 * i] = namespaces[ns]
end
local tenantFlat = {}
for i, tenant in ipairs(tenantOrder) do
  tenantFlat[2 * i - 1] = tenant
  tenantFlat[2 * i] = tenants[tenant]
end
local unknown = { unknownInspected, unknownSizes, biggestFirst(unknownBiggest) }
return { cursor, visited, queueKeys, families, flat, metaKeys, sampledQueue, unknown, tenantFlat }
