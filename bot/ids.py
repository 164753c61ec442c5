"""Every action and callback id, used where blocks are built and where handlers register."""

# /rota
SWAP_ACCEPT = "rota.swap.accept"
SWAP_DECLINE = "rota.swap.decline"

# /ticket card and digests
TICKET_PRIORITY_RIGHT = "ticket.priority.right"
TICKET_PRIORITY_SET = "ticket.priority.set"

# promised updates
PROMISE_OPEN_MODAL = "promise.open_modal"
PROMISE_MODAL = "promise.modal"
PROMISE_DONE = "promise.done"
PROMISE_NEW_TIME = "promise.new_time"
PROMISE_RESCHEDULE_MODAL = "promise.reschedule_modal"
PROMISE_HAND_OVER = "promise.hand_over"
PROMISE_TAKE = "promise.take"
PROMISE_NOT_A_PROMISE = "promise.not_a_promise"

# digests and escalation
DIGEST_PRIORITY_RIGHT = "digest.priority.right"
DIGEST_PRIORITY_SET = "digest.priority.set"
# A link button opens its URL, but Slack still sends the click; it only needs an ack.
OPEN_IN_ZENDESK = "zendesk.open"
ESCALATE = "escalation.open"
# ESCALATE with a reason chosen already is ESCALATE + "." + reason: "escalation.open.unhappy".
ESCALATION_MODAL = "escalation.modal"
ESCALATION_REASON = "escalation.reason"
ESCALATION_NOTE = "escalation.note"
ESCALATION_ACKNOWLEDGE = "escalation.acknowledge"
ESCALATION_CONTACT = "escalation.contact"
