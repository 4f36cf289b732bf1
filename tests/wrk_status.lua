-- wrk_status.lua - count responses by class across all wrk threads and
-- print them with the socket errors at the end of the run, one
-- "key value" line each (tests/e2e/serve_load.sh parses them).
local threads = {}

function setup(thread)
	table.insert(threads, thread)
end

function init(args)
	ok, other = 0, 0
end

function response(status, headers, body)
	if status >= 200 and status < 300 then
		ok = ok + 1
	else
		other = other + 1
	end
end

function done(summary, latency, requests)
	local o, b = 0, 0
	for _, t in ipairs(threads) do
		o = o + t:get("ok")
		b = b + t:get("other")
	end
	local e = summary.errors
	io.write(string.format("requests %d\n", summary.requests))
	io.write(string.format("status_2xx %d\n", o))
	io.write(string.format("status_other %d\n", b))
	io.write(string.format("socket_errors %d\n",
		e.connect + e.read + e.write + e.timeout + e.status))
end
