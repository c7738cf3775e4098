//! Hooks for timing the phases of a step. The core never reads a clock (it must run the same
//! on wasm32, where `Instant::now` panics); a front end that wants timings passes a profiler
//! that does.

/// A phase of one environment step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Recording the interaction in the collaborative filter.
    CfUpdate,
    /// Generating and scoring the next candidates.
    Candidates,
    /// The agent choosing a slot.
    Act,
    /// Storing the transition and running a replay update.
    Learn,
}

/// Receives the start and end of each phase.
pub trait Profiler {
    /// A phase starts.
    fn begin(&mut self, phase: Phase);
    /// The phase that started last ends.
    fn end(&mut self, phase: Phase);
}

/// A profiler that does nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProfiler;

impl Profiler for NoProfiler {
    #[inline]
    fn begin(&mut self, _: Phase) {}
    #[inline]
    fn end(&mut self, _: Phase) {}
}
