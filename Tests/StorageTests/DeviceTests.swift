import FacePayCore
import Foundation
import Storage
import Stores
import Testing

@Suite("device registry")
struct DeviceTests {
    func openDatabase() throws -> AppDatabase {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("facepay-devices-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return try AppDatabase.open(path: url.appendingPathComponent("facepay.sqlite").path)
    }

    @Test("add, list, revoke")
    func lifecycle() throws {
        let database = try openDatabase()
        try database.addDevice(Device(id: "T-1", role: .terminal, merchantID: "M-1", createdAt: Date()))
        try database.addDevice(Device(id: "K-1", role: .kiosk, merchantID: nil, createdAt: Date()))
        #expect(try database.listDevices().map(\.id) == ["K-1", "T-1"])
        try database.revokeDevice(id: "T-1", now: Date())
        #expect(try database.device(id: "T-1")?.status == .revoked)
        #expect(try database.device(id: "K-1")?.status == .active)
    }

    @Test("bad registrations are refused with stable codes")
    func badRegistrations() throws {
        let database = try openDatabase()
        try database.addDevice(Device(id: "T-1", role: .terminal, merchantID: "M-1", createdAt: Date()))
        func code(_ body: () throws -> Void) -> String? {
            do { try body(); return nil } catch let error as FacePayError { return error.code } catch { return "other" }
        }
        #expect(code { try database.addDevice(Device(id: "T-1", role: .terminal, merchantID: "M-1", createdAt: Date())) } == "device_exists")
        #expect(code { try database.addDevice(Device(id: "T 2", role: .terminal, merchantID: "M-1", createdAt: Date())) } == "invalid_device")
        #expect(code { try database.addDevice(Device(id: "T-3", role: .terminal, merchantID: nil, createdAt: Date())) } == "invalid_device")
        #expect(code { try database.addDevice(Device(id: "K-2", role: .kiosk, merchantID: "M-1", createdAt: Date())) } == "invalid_device")
        #expect(code { try database.revokeDevice(id: "nobody", now: Date()) } == "unknown_device")
    }
}
