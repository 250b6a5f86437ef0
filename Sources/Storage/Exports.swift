// The boundary's values and protocols are `Stores`'; whoever uses this SQLite implementation
// sees them too. (Kept while the use cases move from AppDatabase to the store protocols.)
@_exported import Stores
