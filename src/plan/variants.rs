//! The summary's counts by experiment variant: for each experiment of the playbook and
//! each of its variants (then `none`), the members assigned, held out, with an action,
//! the actions planned, the touches per channel and the members per stage. The
//! [`Summary`](super::Summary) owns them; this file counts, merges and serialises them.

use std::sync::Arc;

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

/// The counts of one experiment: one entry per variant, in declaration order, then
/// `none`.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct ExperimentCounts {
    pub name: Arc<str>,
    pub variants: Vec<(Arc<str>, VariantCounts)>,
}

/// What the summary counts for one variant of an experiment (or for `none`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct VariantCounts {
    /// Planned members assigned to the variant (held-out members included).
    pub members: u64,
    /// Of those, members with at least one planned action.
    pub members_with_action: u64,
    /// Actions planned for them.
    pub actions: u64,
    /// Touches planned for them, per channel in declaration order (as
    /// [`Summary::channel_names`](super::Summary::channel_names) lists them).
    pub channels: Vec<u64>,
    /// Of the variant's members, those in the control group.
    pub holdout: u64,
    /// The variant's members per stage, in declaration order, then those with no stage
    /// (as [`Summary::stages`](super::Summary::stages) lists them).
    pub stages: Vec<u64>,
}

impl VariantCounts {
    fn empty(stages: usize, channels: usize) -> Self {
        VariantCounts {
            channels: vec![0; channels],
            stages: vec![0; stages + 1],
            ..VariantCounts::default()
        }
    }

    fn merge(&mut self, other: &VariantCounts) {
        self.members += other.members;
        self.members_with_action += other.members_with_action;
        self.actions += other.actions;
        self.holdout += other.holdout;
        for (mine, theirs) in self.channels.iter_mut().zip(&other.channels) {
            *mine += theirs;
        }
        for (mine, theirs) in self.stages.iter_mut().zip(&other.stages) {
            *mine += theirs;
        }
    }
}

/// One member, as the counts by variant see it.
pub(crate) struct VariantMember<'a, A> {
    /// Its variant (an index) of each experiment, in declaration order.
    pub assignment: &'a [Option<u16>],
    /// Its stage (an index), if any.
    pub stage: Option<u32>,
    /// Whether it is in the control group.
    pub holdout: bool,
    /// The channel (an index) of each planned action, if it has one.
    pub actions: A,
}

impl ExperimentCounts {
    /// Empty counts for an experiment and its variants (`none` is added last).
    pub(super) fn new(
        name: Arc<str>,
        variants: Vec<Arc<str>>,
        stages: usize,
        channels: usize,
    ) -> Self {
        let variants = variants
            .into_iter()
            .chain(std::iter::once(Arc::from("none")))
            .map(|variant| (variant, VariantCounts::empty(stages, channels)))
            .collect();
        ExperimentCounts { name, variants }
    }

    /// Counts one member in its variant (`variant`: an index, or none).
    pub(super) fn count<A>(&mut self, variant: Option<u16>, member: &VariantMember<'_, A>)
    where
        A: Iterator<Item = Option<u32>> + Clone,
    {
        let none = self.variants.len() - 1;
        let index = variant.map_or(none, |v| (v as usize).min(none));
        let counts = &mut self.variants[index].1;
        counts.members += 1;
        if member.holdout {
            counts.holdout += 1;
        }
        let last = counts.stages.len() - 1;
        counts.stages[member.stage.map_or(last, |s| (s as usize).min(last))] += 1;
        let mut any = false;
        for channel in member.actions.clone() {
            any = true;
            counts.actions += 1;
            if let Some(count) = channel.and_then(|c| counts.channels.get_mut(c as usize)) {
                *count += 1;
            }
        }
        if any {
            counts.members_with_action += 1;
        }
    }

    /// Adds the counts of the same experiment from another summary.
    pub(super) fn merge(&mut self, other: &ExperimentCounts) {
        for ((_, mine), (_, theirs)) in self.variants.iter_mut().zip(&other.variants) {
            mine.merge(theirs);
        }
    }
}

/// `{"EXP": {"VARIANT": {…}, …, "none": {…}}, …}`; `stages` and `channels` are the
/// summary's names, in the order the counts list them.
pub(super) struct ExperimentsJson<'a> {
    pub experiments: &'a [ExperimentCounts],
    pub stages: &'a [&'a str],
    pub channels: &'a [&'a str],
}

impl Serialize for ExperimentsJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct Variants<'a>(&'a ExperimentsJson<'a>, &'a ExperimentCounts);
        impl Serialize for Variants<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_map(
                    self.1
                        .variants
                        .iter()
                        .map(|(variant, counts)| (&**variant, VariantJson(self.0, counts))),
                )
            }
        }
        serializer.collect_map(
            self.experiments
                .iter()
                .map(|experiment| (&*experiment.name, Variants(self, experiment))),
        )
    }
}

struct VariantJson<'a>(&'a ExperimentsJson<'a>, &'a VariantCounts);

impl Serialize for VariantJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct Named<'a>(&'a [&'a str], &'a [u64]);
        impl Serialize for Named<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_map(self.0.iter().zip(self.1))
            }
        }
        let (names, counts) = (self.0, self.1);
        let mut out = serializer.serialize_struct("Variant", 6)?;
        out.serialize_field("members", &counts.members)?;
        out.serialize_field("members_with_action", &counts.members_with_action)?;
        out.serialize_field("actions", &counts.actions)?;
        out.serialize_field("channels", &Named(names.channels, &counts.channels))?;
        out.serialize_field("holdout", &counts.holdout)?;
        out.serialize_field("stages", &Named(names.stages, &counts.stages))?;
        out.end()
    }
}
