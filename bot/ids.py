"""Every action and callback id, used where blocks are built and where handlers register."""

# /rota
SWAP_ACCEPT = "rota.swap.accept"
SWAP_DECLINE = "rota.swap.decline"

# /ticket card and digests
TICKET_PRIORITY_RIGHT = "ticket.priority.right"
TICKET_PRIORITY_SET = "ticket.priority.set"
