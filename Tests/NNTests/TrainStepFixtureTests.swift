import Data
import Foundation
@testable import NN
import Tensor
import XCTest

/// Two steps of the trainer on the fixture's LoRA-Ensemble against PyTorch
/// (scripts/gen_nn_fixtures.py): mean of members' cross-entropies, global-norm
/// clipping 1.0, AdamW with decoupled weight decay.
final class TrainStepFixtureTests: XCTestCase {
    func json(_ name: String) throws -> [String: Any] {
        let url = try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures"))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Foundation.Data(contentsOf: url)) as? [String: Any])
    }
    func floats(_ a: Any?) -> [Float] { (a as! [NSNumber]).map { $0.floatValue } }

    func testTwoTrainingStepsMatchPyTorch() throws {
        let model = try json("lora_ensemble"), steps = try json("lora_train_steps")
        let c = model["config"] as! [String: Any]
        func int(_ k: String) -> Int { (c[k] as! NSNumber).intValue }
        let config = ViTConfig(channels: int("channels"), height: int("height"), width: int("width"), patch: int("patch"),
                               dim: int("dim"), depth: int("depth"), heads: int("heads"), mlp: int("mlp"),
                               classes: int("classes"), eps: (c["eps"] as! NSNumber).floatValue)
        let net = try LoRAEnsembleNetwork(backbone: ViT(config, seed: 0),
                                          options: LoRAOptions(members: (model["members"] as! NSNumber).intValue,
                                                               rank: (model["rank"] as! NSNumber).intValue))
        var state: [String: Tensor] = [:]
        for (k, v) in model["params"] as! [String: [String: Any]] {
            state[k] = try Tensor(shape: (v["shape"] as! [NSNumber]).map { $0.intValue }, data: floats(v["data"]))
        }
        try net.loadStateDict(state, source: "the PyTorch fixture")
        let labels = (steps["labels"] as! [NSNumber]).map { $0.intValue }
        let data = try Dataset(name: "fixture", images: floats(model["images"]), labels: labels, channels: config.channels,
                               height: config.height, width: config.width, classNames: ["a", "b", "c"])
        var losses: [Float] = []
        let frozen = net.backbone.parameters().map { $0.data }
        _ = try Trainer.fit(network: net, data: data,
                            config: TrainConfig(epochs: 2, batchSize: 2, learningRate: 1e-3, weightDecay: 0.01, shuffle: false),
                            schedule: { _, _ in 1e-3 }, progress: { losses.append(Float($0.loss!)) }, cancel: nil)
        let expectedLosses = floats(steps["losses"])
        XCTAssertEqual(losses.count, 2)
        for (a, b) in zip(losses, expectedLosses) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        let named = Dictionary(uniqueKeysWithValues: net.namedParameters().map { ($0.name, $0.tensor) })
        let after = steps["after"] as! [String: [String: Any]]
        XCTAssertEqual(Set(after.keys), Set(net.trainableParameters().map { $0.label! }))
        for (k, v) in after {
            let t = try XCTUnwrap(named[k])
            XCTAssertLessThan(maxAbsDiff(t.data, floats(v["data"])), 1e-4, k)
        }
        XCTAssertEqual(net.backbone.parameters().map { $0.data }, frozen)
    }
}
