-- Pledge POSTs with unique addresses, sent as a browser on the same origin sends them (Origin and
-- Sec-Fetch-Site; public forms carry no CSRF cookie), each from its own client address (X-Forwarded-For,
-- read because the bench server trusts one proxy, as behind the load balancer). Counts 303 answers.
-- args: path origin run-id
local threads = {}
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("tid", next_id)
  table.insert(threads, thread)
end

function init(args)
  path = args[1]
  origin = args[2]
  run = args[3]
  counter = 0
  accepted = 0
  other = 0
end

function request()
  counter = counter + 1
  local email = string.format("b%s-%d-%d%%40bench%d.example.com", run, tid, counter, counter % 37)
  local ip = string.format("10.%d.%d.%d", tid % 250, math.floor(counter / 250) % 250, counter % 250 + 1)
  local body = "email=" .. email .. "&kinds=cancelled&country=FR&first_name=Ana"
  return wrk.format("POST", path, {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Origin"] = origin,
    ["Sec-Fetch-Site"] = "same-origin",
    ["X-Forwarded-For"] = ip,
  }, body)
end

function response(status, headers, body)
  if status == 303 then accepted = accepted + 1 else other = other + 1 end
end

function done(summary, latency, requests)
  local a, o = 0, 0
  for _, t in ipairs(threads) do
    a = a + t:get("accepted")
    o = o + t:get("other")
  end
  io.write(string.format("ACCEPTED %d OTHER %d\n", a, o))
end
