-- The mixed profile: 95% page and API reads (rotating over the listed paths), 5% pledge POSTs with
-- unique addresses (as in pledge.lua). args: post-path origin run-id read-path...
local threads = {}
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("tid", next_id)
  table.insert(threads, thread)
end

function init(args)
  post_path = args[1]
  origin = args[2]
  run = args[3]
  reads = {}
  for i = 4, #args do table.insert(reads, args[i]) end
  counter = 0
  accepted = 0
  other = 0
end

function request()
  counter = counter + 1
  if counter % 20 == 0 then
    local email = string.format("m%s-%d-%d%%40bench%d.example.com", run, tid, counter, counter % 37)
    local ip = string.format("10.%d.%d.%d", 100 + tid % 150, math.floor(counter / 250) % 250, counter % 250 + 1)
    return wrk.format("POST", post_path, {
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["Origin"] = origin,
      ["Sec-Fetch-Site"] = "same-origin",
      ["X-Forwarded-For"] = ip,
    }, "email=" .. email .. "&kinds=cancelled&country=FR")
  end
  return wrk.format("GET", reads[counter % #reads + 1])
end

function response(status, headers, body)
  if status == 200 or status == 303 then accepted = accepted + 1 else other = other + 1 end
end

function done(summary, latency, requests)
  local a, o = 0, 0
  for _, t in ipairs(threads) do
    a = a + t:get("accepted")
    o = o + t:get("other")
  end
  io.write(string.format("ACCEPTED %d OTHER %d\n", a, o))
end
