//! Span erasure: a copy of a tree with every span reset, so that two parses of the same
//! playbook laid out differently compare equal. Used to check that formatting keeps
//! meaning.

use crate::ast::*;
use crate::diagnostics::Span;

/// A copy of `module` with every span set to [`Span::default`]: what is left is what
/// the playbook means, not where it was written.
pub fn without_spans(module: &Module) -> Module {
    let mut module = module.clone();
    module.erase();
    module
}

/// Resets every span inside a node.
trait Erase {
    fn erase(&mut self);
}

impl Erase for Span {
    fn erase(&mut self) {
        *self = Span::default();
    }
}

impl<T: Erase> Erase for Vec<T> {
    fn erase(&mut self) {
        self.iter_mut().for_each(Erase::erase);
    }
}

impl<T: Erase> Erase for Option<T> {
    fn erase(&mut self) {
        if let Some(inner) = self {
            inner.erase();
        }
    }
}

impl<T: Erase> Erase for Box<T> {
    fn erase(&mut self) {
        (**self).erase();
    }
}

impl<A: Erase, B: Erase> Erase for (A, B) {
    fn erase(&mut self) {
        self.0.erase();
        self.1.erase();
    }
}

impl Erase for Level {
    fn erase(&mut self) {}
}

impl Erase for Module {
    fn erase(&mut self) {
        self.items.erase();
    }
}

impl Erase for Ident {
    fn erase(&mut self) {
        self.span.erase();
    }
}

impl Erase for StrLit {
    fn erase(&mut self) {
        self.span.erase();
    }
}

impl Erase for Item {
    fn erase(&mut self) {
        match self {
            Item::Playbook(d) => {
                d.name.erase();
                d.clauses.erase();
                d.span.erase();
            }
            Item::Include(d) => {
                d.path.erase();
                d.span.erase();
            }
            Item::Member(d) => {
                d.fields.erase();
                d.span.erase();
            }
            Item::Channel(d) => {
                d.name.erase();
                d.label.erase();
                d.clauses.erase();
                d.span.erase();
            }
            Item::Segment(d) => {
                d.name.erase();
                d.condition.erase();
                d.span.erase();
            }
            Item::Stage(d) => {
                d.name.erase();
                d.label.erase();
                d.condition.erase();
                d.span.erase();
            }
            Item::Rule(d) => {
                d.name.erase();
                d.label.erase();
                d.clauses.erase();
                d.span.erase();
            }
            Item::Policy(d) => {
                d.clauses.erase();
                d.span.erase();
            }
            Item::Experiment(d) => {
                d.name.erase();
                d.label.erase();
                for variant in &mut d.variants {
                    variant.name.erase();
                    variant.share_span.erase();
                    variant.span.erase();
                }
                d.span.erase();
            }
            Item::Test(d) => {
                d.name.erase();
                d.clauses.erase();
                d.span.erase();
            }
            Item::Group(d) => {
                d.name.erase();
                d.label.erase();
                d.caps.erase();
                d.span.erase();
            }
        }
    }
}

impl Erase for PlaybookClause {
    fn erase(&mut self) {
        match self {
            PlaybookClause::Quadrant(spec) => spec.erase(),
            PlaybookClause::Timezone(zone) => zone.erase(),
            PlaybookClause::Key(key, span) => {
                key.erase();
                span.erase();
            }
        }
    }
}

impl Erase for QuadrantSpec {
    fn erase(&mut self) {
        self.online.erase();
        self.frequency.erase();
        self.span.erase();
    }
}

impl Erase for FieldDecl {
    fn erase(&mut self) {
        self.name.erase();
        self.ty.erase();
        self.span.erase();
    }
}

impl Erase for TypeExpr {
    fn erase(&mut self) {
        self.span.erase();
        match &mut self.kind {
            TypeKind::List(inner) | TypeKind::Optional(inner) => inner.erase(),
            TypeKind::Object(fields) => fields.erase(),
            TypeKind::Enum(values) => values.erase(),
            TypeKind::Int
            | TypeKind::Float
            | TypeKind::Bool
            | TypeKind::String
            | TypeKind::Date
            | TypeKind::DateTime
            | TypeKind::Unknown(_) => {}
        }
    }
}

impl Erase for ChannelClause {
    fn erase(&mut self) {
        match self {
            ChannelClause::Consent(expr) => expr.erase(),
            ChannelClause::Window(window) => window.erase(),
            ChannelClause::Cap(cap) => cap.erase(),
        }
    }
}

impl Erase for TimeOfDay {
    fn erase(&mut self) {
        self.span.erase();
    }
}

impl Erase for Window {
    fn erase(&mut self) {
        self.start.erase();
        self.end.erase();
        self.span.erase();
    }
}

impl Erase for DurationLit {
    fn erase(&mut self) {
        self.span.erase();
    }
}

impl Erase for Cap {
    fn erase(&mut self) {
        self.per.erase();
        self.span.erase();
    }
}

impl Erase for StageCondition {
    fn erase(&mut self) {
        match self {
            StageCondition::When(expr) => expr.erase(),
            StageCondition::Otherwise(span) => span.erase(),
        }
    }
}

impl Erase for RuleClause {
    fn erase(&mut self) {
        match self {
            RuleClause::Stage(names, span) | RuleClause::OnEnter(names, span) => {
                names.erase();
                span.erase();
            }
            RuleClause::Quadrant(spec) => spec.erase(),
            RuleClause::When(expr) => expr.erase(),
            RuleClause::Then(action) => action.erase(),
            RuleClause::Priority(_, span) => span.erase(),
            RuleClause::Cap(cap) => cap.erase(),
            RuleClause::Group(name, span) => {
                name.erase();
                span.erase();
            }
            RuleClause::Variant(refs, span) => {
                for reference in refs {
                    reference.experiment.erase();
                    reference.variant.erase();
                    reference.span.erase();
                }
                span.erase();
            }
        }
    }
}

impl Erase for Action {
    fn erase(&mut self) {
        self.verb.erase();
        self.template.erase();
        self.via.erase();
        self.at.erase();
        self.with.erase();
        self.span.erase();
    }
}

impl Erase for Template {
    fn erase(&mut self) {
        self.span.erase();
        for part in &mut self.parts {
            if let TemplatePart::Expr(expr) = part {
                expr.erase();
            }
        }
    }
}

impl Erase for PolicyClause {
    fn erase(&mut self) {
        match self {
            PolicyClause::MaxTouches(cap) => cap.erase(),
            PolicyClause::Holdout(_, span) => span.erase(),
        }
    }
}

impl Erase for TestClause {
    fn erase(&mut self) {
        match self {
            TestClause::AsOf(datetime) => datetime.erase(),
            TestClause::Member(data) => data.erase(),
            TestClause::ExpectStage(stage, span) => {
                stage.erase();
                span.erase();
            }
            TestClause::ExpectAction {
                rule,
                via,
                at,
                span,
            } => {
                rule.erase();
                via.erase();
                at.erase();
                span.erase();
            }
            TestClause::ExpectNoAction(rule, span) => {
                rule.erase();
                span.erase();
            }
            TestClause::ExpectSuppressed { rule, reason, span } => {
                rule.erase();
                reason.erase();
                span.erase();
            }
            TestClause::ExpectHoldout(_, span) | TestClause::ExpectInvalid(span) => span.erase(),
            TestClause::ExpectVariant {
                experiment,
                variant,
                span,
            } => {
                experiment.erase();
                variant.erase();
                span.erase();
            }
            TestClause::PreviousStage { stage, since, span } => {
                stage.erase();
                since.erase();
                span.erase();
            }
        }
    }
}

impl Erase for DateTimeLit {
    fn erase(&mut self) {
        self.span.erase();
    }
}

impl Erase for DataValue {
    fn erase(&mut self) {
        self.span.erase();
        match &mut self.kind {
            DataKind::List(items) => items.erase(),
            DataKind::Object(fields) => fields.erase(),
            DataKind::Null
            | DataKind::Bool(_)
            | DataKind::Int(_)
            | DataKind::Float(_)
            | DataKind::Str(_) => {}
        }
    }
}

impl Erase for Expr {
    fn erase(&mut self) {
        self.span.erase();
        match &mut self.kind {
            ExprKind::Duration(duration) => duration.erase(),
            ExprKind::DateTime(datetime) => datetime.erase(),
            ExprKind::Time(time) => time.erase(),
            ExprKind::List(items) => items.erase(),
            ExprKind::MemberField(field) => field.erase(),
            ExprKind::Field(base, field) => {
                base.erase();
                field.erase();
            }
            ExprKind::Index(base, index) => {
                base.erase();
                index.erase();
            }
            ExprKind::Call(function, arguments) => {
                function.erase();
                arguments.erase();
            }
            ExprKind::Lambda(parameter, body) => {
                parameter.erase();
                body.erase();
            }
            ExprKind::Not(operand) | ExprKind::Neg(operand) | ExprKind::Paren(operand) => {
                operand.erase()
            }
            ExprKind::Binary(_, left, right) => {
                left.erase();
                right.erase();
            }
            ExprKind::In {
                needle, haystack, ..
            } => {
                needle.erase();
                haystack.erase();
            }
            ExprKind::IsNull { operand, .. } => operand.erase(),
            ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Str(_)
            | ExprKind::Bool(_)
            | ExprKind::Null
            | ExprKind::Date(_)
            | ExprKind::Percent(_)
            | ExprKind::Name(_)
            | ExprKind::Now
            | ExprKind::Today => {}
        }
    }
}
