//! One member's counts for the [`Summary`], kept aside while its plan is made and added
//! only once the plan is complete, so that a member whose planning fails leaves no
//! trace. Every writer that plans without building a [`Plan`](super::Plan) (plan lines,
//! Arrow batches) counts through this, so their summaries cannot disagree.

use super::{Reason, Summary, VariantMember};

/// What one member adds to the summary.
#[derive(Debug, Default)]
pub(crate) struct MemberCounts {
    stage: Option<u32>,
    holdout: bool,
    variants: Vec<Option<u16>>,
    fired: Vec<u32>,
    actions: Vec<(u32, Option<u32>)>,
    suppressions: Vec<(u32, Reason)>,
}

impl MemberCounts {
    /// Forgets the previous member.
    pub(crate) fn clear(&mut self) {
        self.fired.clear();
        self.actions.clear();
        self.suppressions.clear();
    }

    /// The member's stage, holdout and variants.
    pub(crate) fn begin(&mut self, stage: Option<u32>, holdout: bool, variants: &[Option<u16>]) {
        self.stage = stage;
        self.holdout = holdout;
        self.variants.clear();
        self.variants.extend_from_slice(variants);
    }

    /// A candidate rule.
    pub(crate) fn fired(&mut self, rule: u32) {
        self.fired.push(rule);
    }

    /// A planned action.
    pub(crate) fn action(&mut self, rule: u32, channel: Option<u32>) {
        self.actions.push((rule, channel));
    }

    /// A suppression.
    pub(crate) fn suppressed(&mut self, rule: u32, reason: Reason) {
        self.suppressions.push((rule, reason));
    }

    /// Adds the member, now planned, to `summary`.
    pub(crate) fn add_to(&self, summary: &mut Summary) {
        summary.count_member(self.stage, self.holdout);
        for &rule in &self.fired {
            summary.count_fired(rule);
        }
        for &(rule, channel) in &self.actions {
            summary.count_action(rule, channel);
        }
        for &(rule, reason) in &self.suppressions {
            summary.count_suppression(rule, reason);
        }
        summary.count_members(
            self.actions.iter().map(|&(rule, _)| rule),
            self.suppressions.iter().copied(),
        );
        summary.count_variants(&VariantMember {
            assignment: &self.variants,
            stage: self.stage,
            holdout: self.holdout,
            actions: self.actions.iter().map(|&(_, channel)| channel),
        });
    }
}
