#ifndef FACEPAY_CSQLITE_TUNING_H
#define FACEPAY_CSQLITE_TUNING_H

/// Process-wide SQLite settings that sqlite3_config() takes before SQLite initialises. That C
/// function is variadic, which Swift cannot call; this target is the one place that does.
///
/// Turns off SQLite's memory statistics (SQLITE_CONFIG_MEMSTATUS = 0). With them on (the
/// default of the system library), every allocation SQLite makes takes one process-wide mutex
/// to count bytes, which on the payment path was a tenth of the writer thread's CPU. FacePay
/// never reads sqlite3_memory_used().
///
/// Returns SQLITE_OK, or SQLITE_MISUSE when SQLite was already initialised in this process (then
/// nothing changed; the setting only affects speed).
int facepay_sqlite_disable_memory_statistics(void);

#endif
