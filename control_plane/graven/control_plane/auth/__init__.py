"""Who calls the control plane (principals, from bearer tokens) and what they may do (the
policy table: every rpc, the role it needs and where its project and domain are read)."""
