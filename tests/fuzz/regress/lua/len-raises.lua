return { methods = { "rtn" }, ratios = { 4 }, subspaces = setmetatable({}, { __len = function() error("len") end }) }
