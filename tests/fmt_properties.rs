//! Property tests of the formatter.
//!
//! - Over generated playbooks: random declarations and clauses, random expressions with
//!   every operator (the parser decides how they group), random literals, and random
//!   spaces, line breaks and comments between all tokens. For each: formatting twice
//!   gives what formatting once gave, the formatted text parses to the same tree
//!   (spans aside), and every comment survives.
//! - Over generated expression trees that no parser built: the printer adds exactly the
//!   parentheses they need to read back as themselves.
//! - Over every `*.rules` file of the repository that parses.

#[path = "fmt/common.rs"]
mod common;

use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::BoxedStrategy;

// ----- tokens ------------------------------------------------------------------------

/// A playbook as a list of tokens; the separators between them are chosen apart.
type Tokens = Vec<String>;

fn one(token: &str) -> Tokens {
    vec![token.to_string()]
}

fn join(parts: Vec<Tokens>) -> Tokens {
    parts.into_iter().flatten().collect()
}

/// What may stand between two tokens: always some white space first, so that no two
/// tokens run together.
fn separator() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        8 => Just(" "),
        3 => Just("\n"),
        1 => Just("\n\n\n"),
        1 => Just("  \t"),
        1 => Just("\r\n"),
        1 => Just(" /* note */ "),
        1 => Just(" /* outer /* inner */ */"),
        1 => Just(" // a line comment  \n"),
        1 => Just("\n// on its own line\n"),
        1 => Just(" /* spans\n   lines */\n"),
    ]
}

/// Joins tokens with the chosen separators (a single space once they run out).
fn render(tokens: &[String], separators: &[&str]) -> String {
    let mut text = String::new();
    for (index, token) in tokens.iter().enumerate() {
        if index > 0 {
            text.push_str(separators.get(index - 1).copied().unwrap_or(" "));
        }
        text.push_str(token);
    }
    text.push_str(separators.get(tokens.len()).copied().unwrap_or("\n"));
    text
}

// ----- names and literals ------------------------------------------------------------

/// Names usable anywhere, including words that are keywords only where clauses start.
fn name() -> impl Strategy<Value = String> {
    select(vec![
        "a", "b", "spend", "orders", "tier", "tags", "nickname", "_x", "x1", "新粉", "会员_2",
        "group", "consent", "window", "stage",
    ])
    .prop_map(str::to_string)
}

/// Names that are no clause keyword (a stage list may end with one: `stage a, group`).
fn plain_name() -> impl Strategy<Value = String> {
    select(vec!["a", "b", "new_fan", "customer", "新粉", "_x", "r2"]).prop_map(str::to_string)
}

fn string_literal() -> impl Strategy<Value = String> {
    select(vec![
        r#""plain""#,
        r#"'single'"#,
        r#""say \"hi\"""#,
        r#"'it\'s'"#,
        r#""both \" and '""#,
        r#""tab\tnew\nline \\ \u{4E2D} \u{1F600}""#,
        r#""中文 · 😀""#,
        r#""""#,
        r#""{braces} are plain in strings""#,
    ])
    .prop_map(str::to_string)
}

fn template() -> impl Strategy<Value = String> {
    select(vec![
        r#""hello""#,
        r#""{nickname ?? '亲'}，欢迎加入""#,
        r#"'{nickname ?? "亲"} it\'s'"#,
        r#""{{literal}} braces {spend * 2} and {a.b[0]}""#,
        r#""{x}{y}""#,
        r#""""#,
        r#""quote \" inside {tier == 'gold'}""#,
        r#""line\nbreak \u{4E2D}""#,
    ])
    .prop_map(str::to_string)
}

fn literal() -> impl Strategy<Value = String> {
    prop_oneof![
        select(vec!["0", "42", "10_000", "3.5", "3.50", "0.25", "1_000.5"])
            .prop_map(str::to_string),
        string_literal(),
        select(vec!["true", "false", "null", "now", "today"]).prop_map(str::to_string),
        select(vec!["30m", "12h", "7d", "2w", "45s"]).prop_map(str::to_string),
        select(vec![
            "2026-11-25",
            "2026-11-25T09:00:00+08:00",
            "2026-01-01T00:00:00Z",
            "2026-06-30T23:59:59.5-05:30",
            "19:30",
            "9:05",
        ])
        .prop_map(str::to_string),
    ]
}

// ----- expressions -------------------------------------------------------------------

const COMPARISONS: &[&str] = &["==", "!=", "<", "<=", ">", ">=", "in", "not in"];
const INFIX: &[&str] = &[
    "or", "and", "==", "!=", "<", "<=", ">", ">=", "in", "not in", "??", "+", "-", "*", "/", "%",
];

/// `[expr, …]`, `f(expr, …)`, `(expr)`, `any(list, v => expr)`: expressions that are
/// closed on both sides.
fn closed(inner: BoxedStrategy<Tokens>) -> BoxedStrategy<Tokens> {
    prop_oneof![
        3 => literal().prop_map(|t| vec![t]),
        3 => name().prop_map(|t| vec![t]),
        1 => prop_oneof![name(), Just("\"in\"".to_string())]
            .prop_map(|field| join(vec![one("member"), one("."), vec![field]])),
        1 => inner.clone().prop_map(|e| join(vec![one("("), e, one(")")])),
        1 => prop::collection::vec(inner.clone(), 0..3).prop_map(|items| comma_list("[", items, "]")),
        1 => (select(vec!["len", "lower", "max", "f"]), prop::collection::vec(inner.clone(), 0..3))
            .prop_map(|(function, arguments)| {
                join(vec![one(function), comma_list("(", arguments, ")")])
            }),
        1 => (select(vec!["any", "all", "count"]), inner.clone(), inner)
            .prop_map(|(function, list, body)| {
                join(vec![one(function), one("("), list, one(","), one("v"), one("=>"), body, one(")")])
            }),
    ]
    .boxed()
}

fn comma_list(open: &str, items: Vec<Tokens>, close: &str) -> Tokens {
    let mut tokens = one(open);
    for (index, item) in items.into_iter().enumerate() {
        if index > 0 {
            tokens.push(",".into());
        }
        tokens.extend(item);
    }
    tokens.push(close.into());
    tokens
}

/// One operand: prefixes, a closed expression, postfixes (`.f`, `[i]`, `is null`).
fn operand(
    inner: BoxedStrategy<Tokens>,
) -> impl Strategy<Value = (Vec<&'static str>, Tokens, Vec<Tokens>)> {
    let postfix = prop_oneof![
        name().prop_map(|field| join(vec![one("."), vec![field]])),
        inner
            .clone()
            .prop_map(|index| join(vec![one("["), index, one("]")])),
        Just(vec!["is".to_string(), "null".to_string()]),
        Just(vec![
            "is".to_string(),
            "not".to_string(),
            "null".to_string()
        ]),
    ];
    (
        prop::collection::vec(select(vec!["not", "-"]), 0..3),
        closed(inner),
        prop::collection::vec(postfix, 0..3),
    )
}

/// A flat sequence `operand (infix operand)*`, with at most one comparison at its
/// level (comparisons do not chain).
fn expression() -> BoxedStrategy<Tokens> {
    let leaf = prop_oneof![literal(), name()].prop_map(|t| vec![t]);
    leaf.prop_recursive(3, 48, 4, |inner| {
        let inner = inner.boxed();
        (
            prop::collection::vec(operand(inner), 1..4),
            prop::collection::vec(select(INFIX.to_vec()), 3),
        )
            .prop_map(|(operands, operators)| {
                let mut compared = false;
                let mut tokens = Tokens::new();
                for (index, (prefixes, primary, postfixes)) in operands.into_iter().enumerate() {
                    if index > 0 {
                        let mut operator = operators[(index - 1) % operators.len()];
                        if COMPARISONS.contains(&operator) {
                            if compared {
                                operator = "+";
                            }
                            compared = true;
                        }
                        tokens.extend(operator.split(' ').map(str::to_string));
                    }
                    tokens.extend(prefixes.into_iter().map(str::to_string));
                    tokens.extend(primary);
                    for postfix in postfixes {
                        if postfix.first().is_some_and(|t| t == "is") {
                            if compared {
                                continue;
                            }
                            compared = true;
                        }
                        tokens.extend(postfix);
                    }
                }
                tokens
            })
    })
    .boxed()
}

// ----- declarations ------------------------------------------------------------------

fn label() -> impl Strategy<Value = Tokens> {
    prop::option::of(string_literal()).prop_map(|l| l.into_iter().collect())
}

fn duration() -> impl Strategy<Value = String> {
    select(vec!["1d", "7d", "12h", "2w"]).prop_map(str::to_string)
}

fn time() -> impl Strategy<Value = String> {
    select(vec!["09:00", "10:00", "9:30", "21:00", "00:00"]).prop_map(str::to_string)
}

fn quadrant() -> impl Strategy<Value = Tokens> {
    let axis = (
        select(vec!["online", "frequency"]),
        select(vec!["high", "low"]),
    )
        .prop_map(|(a, l)| vec![a.to_string(), l.to_string()]);
    (axis, prop::option::of(any::<bool>())).prop_map(|(first, second)| {
        let mut tokens = join(vec![one("quadrant"), first.clone()]);
        if let Some(comma) = second {
            let other = if first[0] == "online" {
                "frequency"
            } else {
                "online"
            };
            if comma {
                tokens.push(",".into());
            }
            tokens.extend([other.to_string(), "low".to_string()]);
        }
        tokens
    })
}

fn playbook() -> impl Strategy<Value = Tokens> {
    (
        string_literal(),
        prop::option::of(quadrant()),
        any::<bool>(),
        prop::option::of(string_literal()),
    )
        .prop_map(|(name, quadrant, zone, key)| {
            let mut tokens = join(vec![one("playbook"), vec![name], one("{")]);
            tokens.extend(quadrant.unwrap_or_default());
            if zone {
                tokens.extend(["timezone".to_string(), "\"+08:00\"".to_string()]);
            }
            if let Some(key) = key {
                tokens.extend(["key".to_string(), key]);
            }
            tokens.push("}".into());
            tokens
        })
}

fn type_expression() -> BoxedStrategy<Tokens> {
    let leaf = select(vec![
        "int", "float", "bool", "string", "date", "datetime", "money",
    ])
    .prop_map(|t| vec![t.to_string()]);
    leaf.prop_recursive(2, 12, 3, |inner| {
        prop_oneof![
            inner
                .clone()
                .prop_map(|t| join(vec![one("["), t, one("]")])),
            inner.clone().prop_map(|t| {
                // `T?` once: `int??` is not a type.
                if t.last().is_some_and(|last| last == "?") {
                    t
                } else {
                    join(vec![t, one("?")])
                }
            }),
            prop::collection::vec((field_key(), inner), 0..3).prop_map(object_type),
            Just(vec!["\"a\"".into(), "|".into(), "'b c'".into()]),
        ]
    })
    .boxed()
}

fn field_key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => name(),
        1 => select(vec!["\"with space\"", "\"id\"", "'in'", "\"新\""]).prop_map(str::to_string),
    ]
}

fn object_type(fields: Vec<(String, Tokens)>) -> Tokens {
    let mut tokens = one("{");
    for (key, ty) in fields {
        tokens.extend([key, ":".to_string()]);
        tokens.extend(ty);
        tokens.push(",".into());
    }
    tokens.push("}".into());
    tokens
}

fn member() -> impl Strategy<Value = Tokens> {
    prop::collection::vec((field_key(), type_expression()), 0..5).prop_map(|fields| {
        let mut tokens = one("member");
        tokens.extend(object_type(fields));
        tokens
    })
}

fn channel() -> impl Strategy<Value = Tokens> {
    let clause = prop_oneof![
        expression().prop_map(|e| join(vec![one("consent"), e])),
        (time(), time()).prop_map(|(a, b)| vec!["window".into(), a, "-".into(), b]),
        duration().prop_map(|d| vec!["cap".into(), "2".into(), "per".into(), d]),
    ];
    (plain_name(), label(), prop::collection::vec(clause, 0..3)).prop_map(
        |(name, label, clauses)| {
            join(vec![
                one("channel"),
                vec![name],
                label,
                one("{"),
                join(clauses),
                one("}"),
            ])
        },
    )
}

fn segment() -> impl Strategy<Value = Tokens> {
    (name(), expression()).prop_map(|(name, e)| join(vec![one("segment"), vec![name], one("="), e]))
}

fn stage() -> impl Strategy<Value = Tokens> {
    let condition = prop_oneof![
        3 => expression().prop_map(|e| join(vec![one("when"), e])),
        1 => Just(one("otherwise")),
    ];
    (plain_name(), label(), condition)
        .prop_map(|(name, label, condition)| join(vec![one("stage"), vec![name], label, condition]))
}

fn action() -> impl Strategy<Value = Tokens> {
    let with = prop::collection::vec((field_key(), expression()), 1..3).prop_map(|entries| {
        let mut tokens = vec!["with".to_string(), "{".to_string()];
        for (key, value) in entries {
            tokens.extend([key, ":".to_string()]);
            tokens.extend(value);
            tokens.push(",".into());
        }
        tokens.push("}".into());
        tokens
    });
    (
        select(vec!["send", "invite", "tag", "audience"]),
        template(),
        prop::option::of(plain_name()),
        prop::option::of(time()),
        prop::option::of(with),
    )
        .prop_map(|(verb, template, via, at, with)| {
            let mut tokens = vec!["then".to_string(), verb.to_string(), template];
            if let Some(via) = via {
                tokens.extend(["via".to_string(), via]);
            }
            if let Some(at) = at {
                tokens.extend(["at".to_string(), at]);
            }
            tokens.extend(with.unwrap_or_default());
            tokens
        })
}

fn rule() -> impl Strategy<Value = Tokens> {
    let clause = prop_oneof![
        prop::collection::vec(plain_name(), 1..3).prop_map(|names| {
            let mut tokens = one("stage");
            for (index, name) in names.into_iter().enumerate() {
                if index > 0 {
                    tokens.push(",".into());
                }
                tokens.push(name);
            }
            tokens
        }),
        quadrant(),
        expression().prop_map(|e| join(vec![one("when"), e])),
        action(),
        select(vec!["0", "80", "-3", "1_000"]).prop_map(|n| vec!["priority".into(), n.into()]),
        duration().prop_map(|d| vec!["cap".into(), "1".into(), "per".into(), d]),
        plain_name().prop_map(|g| vec!["group".into(), g]),
        prop::collection::vec(plain_name(), 1..3).prop_map(|names| {
            let mut tokens = vec!["on".to_string(), "enter".to_string()];
            for (index, name) in names.into_iter().enumerate() {
                if index > 0 {
                    tokens.push(",".into());
                }
                tokens.push(name);
            }
            tokens
        }),
        prop::collection::vec((plain_name(), plain_name()), 1..3).prop_map(|pairs| {
            let mut tokens = one("variant");
            for (index, (experiment, variant)) in pairs.into_iter().enumerate() {
                if index > 0 {
                    tokens.push(",".into());
                }
                tokens.extend([experiment, ".".to_string(), variant]);
            }
            tokens
        }),
    ];
    (plain_name(), label(), prop::collection::vec(clause, 0..5)).prop_map(
        |(name, label, clauses)| {
            join(vec![
                one("rule"),
                vec![name],
                label,
                one("{"),
                join(clauses),
                one("}"),
            ])
        },
    )
}

fn experiment() -> impl Strategy<Value = Tokens> {
    let variant = (
        plain_name(),
        select(vec!["50%", "12.25%", "0%", "100%"]),
        any::<bool>(),
    )
        .prop_map(|(name, share, comma)| {
            let mut tokens = vec!["variant".to_string(), name, share.to_string()];
            if comma {
                tokens.push(",".into());
            }
            tokens
        });
    (plain_name(), label(), prop::collection::vec(variant, 0..4)).prop_map(
        |(name, label, variants)| {
            join(vec![
                one("experiment"),
                vec![name],
                label,
                one("{"),
                join(variants),
                one("}"),
            ])
        },
    )
}

fn group() -> impl Strategy<Value = Tokens> {
    (
        plain_name(),
        label(),
        prop::collection::vec(duration(), 0..2),
    )
        .prop_map(|(name, label, caps)| {
            let caps = caps
                .into_iter()
                .map(|d| vec!["cap".into(), "2".into(), "per".into(), d])
                .collect();
            join(vec![
                one("group"),
                vec![name],
                label,
                one("{"),
                join(caps),
                one("}"),
            ])
        })
}

fn policy() -> impl Strategy<Value = Tokens> {
    let clause = prop_oneof![
        duration().prop_map(|d| vec!["max_touches".into(), "3".into(), "per".into(), d]),
        select(vec!["5%", "12.5%", "0%"]).prop_map(|p| vec!["holdout".into(), p.into()]),
    ];
    prop::collection::vec(clause, 0..3)
        .prop_map(|clauses| join(vec![one("policy"), one("{"), join(clauses), one("}")]))
}

fn data_value() -> BoxedStrategy<Tokens> {
    let leaf = prop_oneof![
        select(vec![
            "0", "-2", "3.5", "-0.25", "10_000", "true", "false", "null"
        ])
        .prop_map(str::to_string),
        string_literal(),
    ]
    .prop_map(|t| vec![t]);
    leaf.prop_recursive(3, 40, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6)
                .prop_map(|items| comma_list("[", items, "]")),
            prop::collection::vec((field_key(), inner), 0..8).prop_map(|entries| {
                let mut tokens = one("{");
                for (index, (key, value)) in entries.into_iter().enumerate() {
                    if index > 0 {
                        tokens.push(",".into());
                    }
                    tokens.extend([key, ":".to_string()]);
                    tokens.extend(value);
                }
                tokens.push("}".into());
                tokens
            }),
        ]
    })
    .boxed()
}

fn test_declaration() -> impl Strategy<Value = Tokens> {
    let object = data_value().prop_filter("a snapshot is an object", |t| t[0] == "{");
    let clause = prop_oneof![
        Just(vec![
            "as_of".to_string(),
            "2026-11-25T09:00:00+08:00".to_string()
        ]),
        object.prop_map(|data| join(vec![one("member"), data])),
        prop_oneof![plain_name(), Just("null".to_string())].prop_map(|stage| vec![
            "expect".into(),
            "stage".into(),
            stage
        ]),
        (
            plain_name(),
            prop::option::of(plain_name()),
            prop::option::of(time())
        )
            .prop_map(|(rule, via, at)| {
                let mut tokens = vec!["expect".to_string(), "action".to_string(), rule];
                if let Some(via) = via {
                    tokens.extend(["via".to_string(), via]);
                }
                if let Some(at) = at {
                    tokens.extend(["at".to_string(), at]);
                }
                tokens
            }),
        plain_name().prop_map(|r| vec!["expect".into(), "no".into(), "action".into(), r]),
        plain_name().prop_map(|r| vec![
            "expect".into(),
            "suppressed".into(),
            r,
            "reason".into(),
            "group".into()
        ]),
        select(vec!["true", "false"]).prop_map(|b| vec![
            "expect".into(),
            "holdout".into(),
            b.into()
        ]),
        Just(vec!["expect".to_string(), "invalid".to_string()]),
        (
            prop_oneof![plain_name(), Just("null".to_string())],
            any::<bool>()
        )
            .prop_map(|(stage, since)| {
                let mut tokens = vec!["previous".to_string(), "stage".to_string(), stage];
                if since {
                    tokens.extend(["since".to_string(), "2026-11-01T09:00:00+08:00".to_string()]);
                }
                tokens
            }),
        (
            plain_name(),
            prop_oneof![plain_name(), Just("none".to_string())]
        )
            .prop_map(|(experiment, variant)| vec![
                "expect".into(),
                "variant".into(),
                experiment,
                variant
            ]),
    ];
    (string_literal(), prop::collection::vec(clause, 0..5)).prop_map(|(name, clauses)| {
        join(vec![
            one("test"),
            vec![name],
            one("{"),
            join(clauses),
            one("}"),
        ])
    })
}

fn declaration() -> impl Strategy<Value = Tokens> {
    prop_oneof![
        1 => playbook(),
        1 => string_literal().prop_map(|path| vec!["include".into(), path]),
        1 => member(),
        1 => channel(),
        2 => segment(),
        3 => stage(),
        2 => rule(),
        1 => policy(),
        1 => test_declaration(),
        1 => experiment(),
        1 => group(),
    ]
}

fn playbook_text() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(declaration(), 0..7),
        prop::collection::vec(separator(), 0..600),
    )
        .prop_map(|(declarations, separators)| render(&join(declarations), &separators))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Formatting is idempotent, keeps meaning and keeps every comment.
    #[test]
    fn formatting_generated_playbooks_keeps_meaning_and_comments(text in playbook_text()) {
        common::format_checked("generated", &text);
    }

    /// The same playbook laid out two ways, without blank lines (which are kept),
    /// formats to the same text.
    #[test]
    fn layout_does_not_matter(
        declarations in prop::collection::vec(declaration(), 1..5),
        separators in prop::collection::vec(prop_oneof![Just(" "), Just("\n"), Just("  \n\t")], 0..400),
    ) {
        let tokens = join(declarations);
        let spaced = render(&tokens, &[]);
        let messy = render(&tokens, &separators);
        prop_assert_eq!(
            common::format_checked("spaced", &spaced),
            common::format_checked("messy", &messy)
        );
    }
}

// ----- trees no parser built ---------------------------------------------------------

mod trees {
    use proptest::prelude::*;
    use proptest::sample::select;
    use siyu::ast::{BinaryOp, Expr, ExprKind, Ident, Item, Module, SegmentDecl};
    use siyu::diagnostics::{FileId, Span};
    use siyu::format::{format_module, without_spans};

    fn expr(kind: ExprKind) -> Expr {
        Expr {
            kind,
            span: Span::default(),
        }
    }

    fn ident(name: &str) -> Ident {
        Ident {
            name: name.to_string(),
            span: Span::default(),
        }
    }

    const OPERATORS: &[BinaryOp] = &[
        BinaryOp::Or,
        BinaryOp::And,
        BinaryOp::Eq,
        BinaryOp::Ne,
        BinaryOp::Lt,
        BinaryOp::Le,
        BinaryOp::Gt,
        BinaryOp::Ge,
        BinaryOp::Default,
        BinaryOp::Add,
        BinaryOp::Sub,
        BinaryOp::Mul,
        BinaryOp::Div,
        BinaryOp::Rem,
    ];

    /// Expression trees without parentheses, of every shape.
    pub fn tree() -> impl Strategy<Value = Expr> {
        let leaf = prop_oneof![
            (0i64..1000).prop_map(|n| expr(ExprKind::Int(n))),
            (0.0f64..1e6).prop_map(|f| expr(ExprKind::Float(f))),
            any::<String>().prop_map(|s| expr(ExprKind::Str(s))),
            select(vec!["a", "b", "新粉"]).prop_map(|n| expr(ExprKind::Name(n.to_string()))),
            select(vec!["spend", "in", "with space"])
                .prop_map(|n| expr(ExprKind::MemberField(ident(n)))),
            Just(expr(ExprKind::Null)),
            Just(expr(ExprKind::Now)),
        ];
        leaf.prop_recursive(5, 40, 3, |inner| {
            prop_oneof![
                (select(OPERATORS.to_vec()), inner.clone(), inner.clone())
                    .prop_map(|(op, l, r)| expr(ExprKind::Binary(op, Box::new(l), Box::new(r)))),
                (inner.clone(), inner.clone(), any::<bool>()).prop_map(|(n, h, negated)| {
                    expr(ExprKind::In {
                        needle: Box::new(n),
                        haystack: Box::new(h),
                        negated,
                    })
                }),
                (inner.clone(), any::<bool>()).prop_map(|(o, negated)| {
                    expr(ExprKind::IsNull {
                        operand: Box::new(o),
                        negated,
                    })
                }),
                inner.clone().prop_map(|o| expr(ExprKind::Not(Box::new(o)))),
                inner.clone().prop_map(|o| expr(ExprKind::Neg(Box::new(o)))),
                (inner.clone(), select(vec!["f", "in"]))
                    .prop_map(|(b, f)| expr(ExprKind::Field(Box::new(b), ident(f)))),
                (inner.clone(), inner.clone())
                    .prop_map(|(b, i)| expr(ExprKind::Index(Box::new(b), Box::new(i)))),
                prop::collection::vec(inner.clone(), 0..3)
                    .prop_map(|items| expr(ExprKind::List(items))),
                (inner.clone(), inner).prop_map(|(list, body)| {
                    let lambda = expr(ExprKind::Lambda(ident("v"), Box::new(body)));
                    expr(ExprKind::Call(ident("any"), vec![list, lambda]))
                }),
            ]
        })
    }

    /// The tree without its parentheses.
    pub fn strip(expr: &mut Expr) {
        while let ExprKind::Paren(inner) = &mut expr.kind {
            let inner = std::mem::replace(&mut **inner, self::expr(ExprKind::Null));
            *expr = inner;
        }
        match &mut expr.kind {
            ExprKind::Binary(_, l, r)
            | ExprKind::Index(l, r)
            | ExprKind::In {
                needle: l,
                haystack: r,
                ..
            } => {
                strip(l);
                strip(r);
            }
            ExprKind::IsNull { operand: o, .. }
            | ExprKind::Not(o)
            | ExprKind::Neg(o)
            | ExprKind::Field(o, _)
            | ExprKind::Lambda(_, o) => strip(o),
            ExprKind::List(items) | ExprKind::Call(_, items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }

    /// `segment s = EXPR` printed from the tree.
    pub fn print(condition: Expr) -> (Module, String) {
        let module = Module {
            items: vec![Item::Segment(SegmentDecl {
                name: ident("s"),
                condition,
                span: Span::default(),
            })],
        };
        let text = format_module(&module, &[], "");
        (module, text)
    }

    /// The condition of the only segment of a parse.
    pub fn reparsed_condition(text: &str) -> Result<Expr, String> {
        let parsed = siyu::syntax::parse(text, FileId(0));
        if parsed.diagnostics.iter().any(|d| d.is_error()) {
            return Err(format!("{:?}", parsed.diagnostics));
        }
        match without_spans(&parsed.module).items.into_iter().next() {
            Some(Item::Segment(segment)) => Ok(segment.condition),
            other => Err(format!("not a segment: {other:?}")),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// A tree printed reads back as itself, once the added parentheses are taken away.
    #[test]
    fn printed_trees_read_back(condition in trees::tree()) {
        let (module, text) = trees::print(condition.clone());
        let mut reparsed = trees::reparsed_condition(&text)
            .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        trees::strip(&mut reparsed);
        let original = match &siyu::format::without_spans(&module).items[0] {
            siyu::ast::Item::Segment(segment) => segment.condition.clone(),
            _ => unreachable!(),
        };
        prop_assert_eq!(reparsed, original, "{}", text);
    }
}

// ----- the repository's playbooks ----------------------------------------------------

/// Every `*.rules` file under `rules/`, `examples/` and `tests/` that parses.
#[test]
fn every_playbook_of_the_repository_formats_stably() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut pending: Vec<_> = ["rules", "examples", "tests"]
        .iter()
        .map(|d| root.join(d))
        .collect();
    let mut checked = 0;
    while let Some(folder) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rules") {
                let Ok(text) = std::fs::read_to_string(&path) else {
                    continue;
                };
                let parsed = siyu::syntax::parse(&text, siyu::diagnostics::FileId(0));
                if parsed.diagnostics.iter().any(|d| d.is_error()) {
                    continue; // inputs of diagnostic tests are meant not to parse
                }
                common::format_checked(&path.display().to_string(), &text);
                checked += 1;
            }
        }
    }
    assert!(
        checked > 0,
        "no playbook found under rules/, examples/ or tests/"
    );
}
