// Payments: the use cases (enrol, verify, pay, capture, void, refund, erase) — see docs/ARCHITECTURE.md.
