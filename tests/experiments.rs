//! Experiments over 10 000 members: each share within one point of what is declared,
//! assignment independent of the holdout, and exactly the members the documentation
//! says move when a split changes (docs/experiments.md).

use siyu::{AsOf, Playbook};

const MEMBERS: usize = 10_000;

fn playbook(variants: &str, holdout: &str) -> Playbook {
    let text = format!(
        "playbook \"Lumi 美妆 · 抖音私域\" {{ quadrant online high, frequency high }}\n\
         member {{ id: string }}\n\
         stage fan \"粉丝\" otherwise\n\
         experiment first_coupon \"首单券力度\" {{ {variants} }}\n\
         rule tag_variant {{ when variant(first_coupon) != \"none\" then tag \"{{variant(first_coupon)}}\" }}\n\
         {holdout}\n"
    );
    Playbook::from_source("experiment.rules", &text).unwrap_or_else(|e| panic!("{e}"))
}

/// Each member's variant and whether it is held out, in id order.
fn assign(playbook: &Playbook) -> Vec<(String, bool)> {
    let as_of = AsOf::parse("2026-11-25T09:00:00+08:00").expect("as-of");
    (0..MEMBERS)
        .map(|i| {
            let snapshot = serde_json::json!({ "id": format!("m{i:07}") });
            let plan = playbook.plan(&snapshot, as_of).expect("a plan");
            assert_eq!(plan.variants.len(), 1);
            let (experiment, variant) = &plan.variants[0];
            assert_eq!(&**experiment, "first_coupon");
            // `variant(EXP)` in an expression reads the same assignment.
            let tag = plan.actions.iter().find(|a| &*a.rule == "tag_variant");
            match tag {
                Some(tag) => assert_eq!(&*tag.content, &**variant),
                None => assert!(&**variant == "none" || plan.holdout),
            }
            (variant.to_string(), plan.holdout)
        })
        .collect()
}

fn share(assigned: &[(String, bool)], variant: &str) -> f64 {
    let n = assigned.iter().filter(|(v, _)| v == variant).count();
    100.0 * n as f64 / assigned.len() as f64
}

fn within_a_point(assigned: &[(String, bool)], variant: &str, declared: f64) {
    let got = share(assigned, variant);
    assert!(
        (got - declared).abs() <= 1.0,
        "`{variant}` has {got:.2}% of members, declared {declared}%"
    );
}

#[test]
fn shares_hold_within_a_point_and_splits_move_only_the_members_documented() {
    let base = assign(&playbook("variant small 50%  variant big 50%", ""));
    within_a_point(&base, "small", 50.0);
    within_a_point(&base, "big", 50.0);
    assert_eq!(share(&base, "none"), 0.0);

    // Shrinking the first variant: only its members move, and only to `none`.
    let shrunk = assign(&playbook("variant small 40%  variant big 50%", ""));
    within_a_point(&shrunk, "small", 40.0);
    within_a_point(&shrunk, "none", 10.0);
    let mut moved = 0;
    for ((before, _), (after, _)) in base.iter().zip(&shrunk) {
        if before != after {
            assert_eq!((before.as_str(), after.as_str()), ("small", "none"));
            moved += 1;
        }
    }
    assert!((900..=1100).contains(&moved), "{moved} members moved");

    // Shrinking the second variant: the same, on its side.
    let second = assign(&playbook("variant small 50%  variant big 30%", ""));
    for ((before, _), (after, _)) in base.iter().zip(&second) {
        if before != after {
            assert_eq!((before.as_str(), after.as_str()), ("big", "none"));
        }
    }
    within_a_point(&second, "none", 20.0);

    // A variant added at the end takes its members from `none` only.
    let added = assign(&playbook(
        "variant small 40%  variant big 50%  variant medium 10%",
        "",
    ));
    within_a_point(&added, "medium", 10.0);
    for ((before, _), (after, _)) in shrunk.iter().zip(&added) {
        if before != after {
            assert_eq!((before.as_str(), after.as_str()), ("none", "medium"));
        }
    }

    // Shrinking the last declared variant: only its members move, to `none`.
    let less = assign(&playbook(
        "variant small 40%  variant big 50%  variant medium 5%",
        "",
    ));
    for ((before, _), (after, _)) in added.iter().zip(&less) {
        if before != after {
            assert_eq!((before.as_str(), after.as_str()), ("medium", "none"));
        }
    }

    // The documented limit: a third variant is stacked after the first, so growing
    // the first moves the third's members along (between `small`, `medium` and
    // `none`), while the second, stacked from the other end, does not move.
    let grown = assign(&playbook(
        "variant small 45%  variant big 50%  variant medium 5%",
        "",
    ));
    within_a_point(&grown, "small", 45.0);
    for ((before, _), (after, _)) in less.iter().zip(&grown) {
        if before != after {
            assert_ne!(before, "big");
            assert_ne!(after, "big");
        }
    }
}

#[test]
fn variants_are_independent_of_the_holdout_and_the_control_group_is_assigned_too() {
    let held = assign(&playbook(
        "variant small 50%  variant big 50%",
        "policy { holdout 10% }",
    ));
    let plain = assign(&playbook("variant small 50%  variant big 50%", ""));
    // The holdout changes no member's variant.
    for ((a, _), (b, _)) in held.iter().zip(&plain) {
        assert_eq!(a, b);
    }
    // About a tenth of each variant is held out.
    for variant in ["small", "big"] {
        let members: Vec<&(String, bool)> = held.iter().filter(|(v, _)| v == variant).collect();
        let out = members.iter().filter(|(_, h)| *h).count();
        let percent = 100.0 * out as f64 / members.len() as f64;
        assert!(
            (8.0..=12.0).contains(&percent),
            "{variant}: {percent:.2}% held out"
        );
    }
}

#[test]
fn a_playbook_without_experiments_writes_no_variants_key() {
    let playbook = Playbook::from_source(
        "plain.rules",
        "playbook \"p\" {}\nmember { id: string }\nrule r { then tag \"x\" }\n",
    )
    .expect("compiles");
    let as_of = AsOf::parse("2026-11-25T09:00:00+08:00").expect("as-of");
    let plan = playbook
        .plan(&serde_json::json!({ "id": "a" }), as_of)
        .expect("a plan");
    let line = serde_json::to_string(&plan).expect("json");
    assert!(!line.contains("variants"), "{line}");
    let mut summary = playbook.summary();
    summary.add_plan(&plan);
    let summary = serde_json::to_string(&summary).expect("json");
    assert!(!summary.contains("experiments"), "{summary}");
}
