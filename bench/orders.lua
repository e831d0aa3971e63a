-- wrk script for the accepting endpoint of a default bake (POST /api/v1/orders):
-- every request carries an Idempotency-Key of its own, so each one claims a key,
-- enqueues a job and keeps its answer, the path a client's first try takes.
--   wrk -t1 -c32 -d10s -s bench/orders.lua http://127.0.0.1:8000/api/v1/orders
local counter = 0
local prefix = tostring(os.time()) .. "-" .. tostring(math.random(1, 1e9))

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"sku": "SKU-1", "quantity": 1}'

request = function()
   counter = counter + 1
   wrk.headers["Idempotency-Key"] = prefix .. "-" .. counter
   return wrk.format()
end

local accepted = 0
response = function(status)
   if status == 202 then accepted = accepted + 1 end
end
