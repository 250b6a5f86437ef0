import FacePayCore

extension FacePayError {
    /// A 400 naming the field a JSON `DecodingError` is about, as the wire contract asks ("a
    /// missing or ill-typed field gets 400 naming the field"): e.g. `field
    /// 'face.frames[3].yaw_deg': must be between -180.0 and 180.0`. `fieldPrefix` is where the
    /// decoded value sits in the request body (`face` for the face evidence of a payment).
    public init(decoding error: DecodingError, fieldPrefix: String = "") {
        let path: [any CodingKey]
        let why: String
        switch error {
        case .keyNotFound(let key, let keyContext):
            path = keyContext.codingPath + [key]
            why = "is required"
        case .typeMismatch(let type, let mismatchContext):
            path = mismatchContext.codingPath
            why = "expected \(Self.jsonTypeName(type))"
        case .valueNotFound(let type, let nullContext):
            path = nullContext.codingPath
            why = "expected \(Self.jsonTypeName(type)), got null"
        case .dataCorrupted(let corruptContext):
            path = corruptContext.codingPath
            why = corruptContext.debugDescription
        @unknown default:
            self = .invalidField(fieldPrefix.isEmpty ? "body" : fieldPrefix, "could not be decoded")
            return
        }
        var name = fieldPrefix
        for key in path {
            if let index = key.intValue {
                name += "[\(index)]"
            } else {
                name += name.isEmpty ? key.stringValue : "." + key.stringValue
            }
        }
        self = .invalidField(name.isEmpty ? "body" : name, why)
    }

    private static func jsonTypeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "a boolean"
        case is Int.Type, is Int64.Type, is Int32.Type, is UInt64.Type: "an integer"
        case is Float.Type, is Double.Type: "a number"
        default: type is any Collection.Type ? "an array" : "an object"
        }
    }
}
