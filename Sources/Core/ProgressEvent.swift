/// One report of progress from long work, the one kind every layer sends:
/// training (`NN`'s trainer, after every step), evaluation and prediction
/// (`Lang`, per forward batch). `Render`'s `ProgressPrinter` and
/// `ProgressDisplay` show it; front ends pick one.
///
/// Steps count within the epoch; work without epochs (evaluation) is one epoch.
public struct ProgressEvent: Sendable, Equatable {
    /// What runs ("ens", "evaluating ens"); empty when the sender does not know
    /// (the trainer: the front end names the model).
    public var label: String
    /// Current epoch (1-based) and number of epochs.
    public var epoch: Int
    public var epochs: Int
    /// Steps done in this epoch and steps per epoch.
    public var step: Int
    public var steps: Int
    /// For explicit ensembles trained member after member: which member (0-based) and how many (1: not shown).
    public var member: Int
    public var members: Int
    /// The step's loss and accuracy.
    public var loss: Double?
    public var accuracy: Double?
    /// The means over the epoch's steps so far (training); a progress line
    /// shows them at the epoch's last step.
    public var epochLoss: Double?
    public var epochAccuracy: Double?
    /// The learning rate the step used (training only; not shown).
    public var learningRate: Double?
    public var samplesPerSecond: Double?
    /// Seconds left, if known.
    public var eta: Double?
    /// How much of the whole run is done, 0...1, when it is more than the
    /// epochs say (explicit ensembles train member after member); nil: from epoch and step.
    public var overall: Double?
    /// Work whose progress only a terminal shows, and only once it has taken
    /// a moment (evaluation, prediction); the line is erased when it ends.
    public var transient: Bool
    /// During the validation at the end of an epoch (`fit(validation:)`): the
    /// part of it done, 0...1 (nil: a training step). The step fields are then
    /// the epoch's last step's.
    public var validation: Double?

    public init(label: String = "", epoch: Int, epochs: Int, step: Int, steps: Int, member: Int = 0, members: Int = 1,
                loss: Double? = nil, accuracy: Double? = nil, epochLoss: Double? = nil, epochAccuracy: Double? = nil,
                learningRate: Double? = nil, samplesPerSecond: Double? = nil,
                eta: Double? = nil, overall: Double? = nil, transient: Bool = false, validation: Double? = nil) {
        self.label = label; self.epoch = epoch; self.epochs = epochs; self.step = step; self.steps = steps
        self.member = member; self.members = members
        self.loss = loss; self.accuracy = accuracy; self.epochLoss = epochLoss; self.epochAccuracy = epochAccuracy
        self.learningRate = learningRate
        self.samplesPerSecond = samplesPerSecond; self.eta = eta
        self.overall = overall; self.transient = transient
        self.validation = validation
    }

    /// The label as shown: "ens", or "ens member 2/4" while member 2 of 4 trains.
    public var title: String {
        guard members > 1 else { return label }
        let member = "member \(self.member + 1)/\(members)"
        return label.isEmpty ? member : label + " " + member
    }

    /// Steps done in the whole run (of this member, for explicit ensembles):
    /// (epoch - 1) · steps + step.
    public var stepsDone: Int { (epoch - 1) * steps + step }

    /// Whether this is the last step of its epoch.
    public var endsEpoch: Bool { step >= steps }

    /// The part of the whole run done, 0...1.
    public var fractionDone: Double {
        if let o = overall { return max(0, min(1, o)) }
        guard epochs > 0, steps > 0 else { return 0 }
        return max(0, min(1, (Double(epoch - 1) + Double(step) / Double(steps)) / Double(epochs)))
    }
}

/// Receives progress events: a closure (what the trainer calls after every step).
public typealias ProgressHandler = (ProgressEvent) -> Void

/// Receives progress from long work and knows when it ends (`Render`'s
/// `ProgressPrinter` is the standard one).
public protocol ProgressReporter: AnyObject {
    func update(_ progress: ProgressEvent)
    /// The work is over (normally or not); a terminal bar ends its line.
    func finish()
}
