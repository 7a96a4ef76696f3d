//! The hand-written reference of the benchmark: the 20 rules of
//! `benches/playbooks/perf20.rules` written directly in Rust, over a typed
//! `#[derive(Deserialize)]` snapshot that borrows its strings from the input line. It
//! writes the same plan lines as `siyu run` on that playbook, byte for byte, so that the
//! two can be timed on the same work and their outputs compared.
//!
//! ```sh
//! cargo run --release --example reference -- --members members.jsonl \
//!     --as-of 2026-11-25T09:00:00+08:00 --out plans.jsonl
//! cargo run --release --example reference -- --members members.jsonl --decode-only
//! ```
//!
//! `--decode-only` reads and decodes every snapshot into the typed struct and does
//! nothing else (the cost of typed decoding alone). `--members -` reads stdin. The
//! program runs on one thread, the way such a program is usually written. Invalid lines
//! are reported on stderr and skipped. It computes no summary.
//!
//! `benches/latency.rs` includes this file to time the reference in process; the items
//! it calls are `pub(crate)`.
//!
//! It knows the playbook's time zone is the fixed offset `+08:00`, and that the
//! playbook's name seeds the holdout hash (FNV-1a, splitmix64, 10 000 buckets), as
//! `siyu` documents.

use std::borrow::Cow;
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::process::ExitCode;

use jiff::civil::Date;
use jiff::tz::Offset;
use jiff::Timestamp;
use serde::de::{self, Deserializer, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

const PLAYBOOK_NAME: &str = "Perf 20 · 基准";
const OFFSET_SECONDS: i32 = 8 * 3600;
const HOLDOUT_BUCKETS: u32 = 500; // 5% of 10 000
const DAY: i64 = 86_400;

// ── The snapshot ─────────────────────────────────────────────────────────────────────

/// A JSON string, borrowed from the line unless it had escapes.
#[derive(Debug)]
struct Text<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(text)))
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(text.to_owned())))
            }
        }
        deserializer.deserialize_str(TextVisitor)
    }
}

impl std::ops::Deref for Text<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Tier {
    None,
    Silver,
    Gold,
    Platinum,
}

impl Tier {
    fn name(self) -> &'static str {
        match self {
            Tier::None => "none",
            Tier::Silver => "silver",
            Tier::Gold => "gold",
            Tier::Platinum => "platinum",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Source {
    Live,
    Video,
    Search,
    Ad,
    Store,
}

impl Source {
    fn name(self) -> &'static str {
        match self {
            Source::Live => "live",
            Source::Video => "video",
            Source::Search => "search",
            Source::Ad => "ad",
            Source::Store => "store",
        }
    }
}

#[derive(Debug, Deserialize)]
struct Consent {
    douyin_dm: bool,
    live: bool,
    wecom: bool,
    sms: bool,
    #[allow(dead_code)]
    oa: bool,
}

#[derive(Debug, Deserialize)]
struct TouchRecord<'a> {
    #[serde(borrow)]
    rule: Option<Text<'a>>,
    #[serde(borrow)]
    channel: Text<'a>,
    #[serde(borrow)]
    at: Text<'a>,
}

/// One member snapshot: the fields of the playbook's `member` block, plus `touches`.
#[derive(Debug, Deserialize)]
pub(crate) struct Snapshot<'a> {
    #[serde(borrow)]
    id: Text<'a>,
    #[serde(borrow)]
    nickname: Option<Text<'a>>,
    #[serde(borrow)]
    city: Text<'a>,
    tier: Tier,
    #[serde(borrow)]
    tags: Vec<Text<'a>>,
    source: Source,
    days_since_follow: i64,
    last_active_days: i64,
    interactions_30d: i64,
    live_watch_30d: i64,
    fan_group: bool,
    orders: i64,
    spend: f64,
    last_order_days: Option<i64>,
    cart_items: i64,
    referrals: i64,
    #[serde(borrow)]
    skin_concern: Option<Text<'a>>,
    distance_km: Option<f64>,
    #[serde(borrow)]
    nearest_store: Option<Text<'a>>,
    voucher_unredeemed: i64,
    consent: Consent,
    #[serde(borrow, default)]
    touches: Vec<TouchRecord<'a>>,
}

// ── The playbook, by hand ────────────────────────────────────────────────────────────

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Channel {
    DouyinDm,
    Wecom,
    Sms,
    FanGroup,
}

impl Channel {
    fn from_name(name: &str) -> Option<Channel> {
        Some(match name {
            "douyin_dm" => Channel::DouyinDm,
            "wecom" => Channel::Wecom,
            "sms" => Channel::Sms,
            "douyin_fan_group" => Channel::FanGroup,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Channel::DouyinDm => "douyin_dm",
            Channel::Wecom => "wecom",
            Channel::Sms => "sms",
            Channel::FanGroup => "douyin_fan_group",
        }
    }

    /// The window, in seconds of the local day: start included, end excluded.
    fn window(self) -> (i64, i64) {
        match self {
            Channel::DouyinDm => (hm(10, 0), hm(21, 0)),
            Channel::Wecom => (hm(9, 0), hm(21, 0)),
            Channel::Sms => (hm(10, 0), hm(20, 0)),
            Channel::FanGroup => (hm(9, 0), hm(22, 0)),
        }
    }

    /// At most `count` touches per `days` days.
    fn cap(self) -> Option<Cap> {
        match self {
            Channel::DouyinDm => Some(Cap { count: 2, days: 1 }),
            Channel::Wecom => Some(Cap { count: 1, days: 1 }),
            Channel::Sms => Some(Cap { count: 1, days: 7 }),
            Channel::FanGroup => None,
        }
    }

    fn consent(self, member: &Snapshot) -> bool {
        match self {
            Channel::DouyinDm => member.consent.douyin_dm,
            Channel::Wecom => member.consent.wecom,
            Channel::Sms => member.consent.sms,
            Channel::FanGroup => member.fan_group,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Cap {
    count: usize,
    days: i64,
}

const MEMBER_CAP: Cap = Cap { count: 3, days: 1 };

const fn hm(hour: i64, minute: i64) -> i64 {
    hour * 3600 + minute * 60
}

/// The rules, in priority order (which is also declaration order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    CartNudge,
    CartNudgeWecom,
    InviteFanGroup,
    InviteWecom,
    FirstOrderDm,
    FirstOrderSms,
    RepurchaseDm,
    GoldUpgrade,
    SensitiveSkin,
    LiveReminder,
    PriceSensitive,
    LocalStore,
    StoreNearbyTag,
    ReferralInvite,
    WinbackSms,
    VipAssign,
    StudentTag,
    DormantAudience,
    HighIntentAudience,
    TagNew,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Group {
    Cart,
    Onboarding,
    FreeReach,
    PaidReach,
    Store,
}

impl Rule {
    fn from_name(name: &str) -> Option<Rule> {
        Some(match name {
            "cart_nudge" => Rule::CartNudge,
            "cart_nudge_wecom" => Rule::CartNudgeWecom,
            "invite_fan_group" => Rule::InviteFanGroup,
            "invite_wecom" => Rule::InviteWecom,
            "first_order_dm" => Rule::FirstOrderDm,
            "first_order_sms" => Rule::FirstOrderSms,
            "repurchase_dm" => Rule::RepurchaseDm,
            "gold_upgrade" => Rule::GoldUpgrade,
            "sensitive_skin" => Rule::SensitiveSkin,
            "live_reminder" => Rule::LiveReminder,
            "price_sensitive" => Rule::PriceSensitive,
            "local_store" => Rule::LocalStore,
            "store_nearby_tag" => Rule::StoreNearbyTag,
            "referral_invite" => Rule::ReferralInvite,
            "winback_sms" => Rule::WinbackSms,
            "vip_assign" => Rule::VipAssign,
            "student_tag" => Rule::StudentTag,
            "dormant_audience" => Rule::DormantAudience,
            "high_intent_audience" => Rule::HighIntentAudience,
            "tag_new" => Rule::TagNew,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Rule::CartNudge => "cart_nudge",
            Rule::CartNudgeWecom => "cart_nudge_wecom",
            Rule::InviteFanGroup => "invite_fan_group",
            Rule::InviteWecom => "invite_wecom",
            Rule::FirstOrderDm => "first_order_dm",
            Rule::FirstOrderSms => "first_order_sms",
            Rule::RepurchaseDm => "repurchase_dm",
            Rule::GoldUpgrade => "gold_upgrade",
            Rule::SensitiveSkin => "sensitive_skin",
            Rule::LiveReminder => "live_reminder",
            Rule::PriceSensitive => "price_sensitive",
            Rule::LocalStore => "local_store",
            Rule::StoreNearbyTag => "store_nearby_tag",
            Rule::ReferralInvite => "referral_invite",
            Rule::WinbackSms => "winback_sms",
            Rule::VipAssign => "vip_assign",
            Rule::StudentTag => "student_tag",
            Rule::DormantAudience => "dormant_audience",
            Rule::HighIntentAudience => "high_intent_audience",
            Rule::TagNew => "tag_new",
        }
    }

    fn priority(self) -> i64 {
        match self {
            Rule::CartNudge => 85,
            Rule::CartNudgeWecom => 84,
            Rule::InviteFanGroup => 80,
            Rule::InviteWecom => 79,
            Rule::FirstOrderDm => 70,
            Rule::FirstOrderSms => 68,
            Rule::RepurchaseDm => 65,
            Rule::GoldUpgrade => 62,
            Rule::SensitiveSkin => 58,
            Rule::LiveReminder => 55,
            Rule::PriceSensitive => 50,
            Rule::LocalStore => 45,
            Rule::StoreNearbyTag => 44,
            Rule::ReferralInvite => 40,
            Rule::WinbackSms => 30,
            Rule::VipAssign => 25,
            Rule::StudentTag => 20,
            Rule::DormantAudience => 15,
            Rule::HighIntentAudience => 12,
            Rule::TagNew => 5,
        }
    }

    fn cap(self) -> Option<Cap> {
        let (count, days) = match self {
            Rule::CartNudge | Rule::CartNudgeWecom => (1, 3),
            Rule::InviteFanGroup | Rule::InviteWecom | Rule::PriceSensitive => (1, 7),
            Rule::FirstOrderDm | Rule::FirstOrderSms | Rule::RepurchaseDm => (1, 14),
            Rule::ReferralInvite | Rule::WinbackSms => (1, 30),
            _ => return None,
        };
        Some(Cap { count, days })
    }

    fn group(self) -> Option<Group> {
        match self {
            Rule::CartNudge | Rule::CartNudgeWecom => Some(Group::Cart),
            Rule::InviteFanGroup | Rule::InviteWecom => Some(Group::Onboarding),
            Rule::FirstOrderDm | Rule::FirstOrderSms => Some(Group::FreeReach),
            Rule::RepurchaseDm | Rule::GoldUpgrade => Some(Group::PaidReach),
            Rule::LocalStore | Rule::StoreNearbyTag => Some(Group::Store),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Dormant,
    Advocate,
    RepeatBuyer,
    FirstBuyer,
    NewFan,
    ActiveFan,
    Fan,
}

impl Stage {
    fn name(self) -> &'static str {
        match self {
            Stage::Dormant => "dormant",
            Stage::Advocate => "advocate",
            Stage::RepeatBuyer => "repeat_buyer",
            Stage::FirstBuyer => "first_buyer",
            Stage::NewFan => "new_fan",
            Stage::ActiveFan => "active_fan",
            Stage::Fan => "fan",
        }
    }
}

// ── The plan ─────────────────────────────────────────────────────────────────────────

#[derive(Debug, Serialize)]
pub(crate) struct Plan<'a> {
    member: &'a str,
    stage: &'static str,
    holdout: bool,
    actions: Vec<Action<'a>>,
    suppressed: Vec<Suppression>,
}

#[derive(Debug, Serialize)]
struct Action<'a> {
    rule: &'static str,
    verb: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    channel: Option<&'static str>,
    content: String,
    at: String,
    priority: i64,
    args: Args<'a>,
}

#[derive(Debug, Serialize)]
struct Suppression {
    rule: &'static str,
    reason: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    channel: Option<&'static str>,
}

#[derive(Debug, Clone, Copy)]
enum Arg<'a> {
    Str(&'a str),
    Int(i64),
    Float(f64),
}

#[derive(Debug, Default)]
struct Args<'a>(Vec<(&'static str, Arg<'a>)>);

impl Serialize for Args<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            match value {
                Arg::Str(text) => map.serialize_entry(key, text)?,
                Arg::Int(number) => map.serialize_entry(key, number)?,
                Arg::Float(number) => map.serialize_entry(key, number)?,
            }
        }
        map.end()
    }
}

// ── Planning one member ──────────────────────────────────────────────────────────────

/// What stays the same for the whole run.
pub(crate) struct Run {
    now: Timestamp,
    offset: Offset,
    /// `today + 3d` and `today + 7d`, as templates render them.
    in_3_days: String,
    in_7_days: String,
}

impl Run {
    pub(crate) fn new(now: Timestamp) -> Run {
        let offset = Offset::constant(8);
        let today: Date = offset.to_datetime(now).date();
        let later = |days: i64| {
            today
                .checked_add(jiff::Span::new().days(days))
                .map(|date| date.to_string())
                .unwrap_or_default()
        };
        Run {
            now,
            offset,
            in_3_days: later(3),
            in_7_days: later(7),
        }
    }

    fn format(&self, at: Timestamp) -> String {
        at.display_with_offset(self.offset).to_string()
    }

    /// `at HH:MM` first (the earliest instant at or after now with that local time),
    /// then the channel's window (a time outside it moves to the next opening).
    fn send_time(&self, at: Option<i64>, window: Option<(i64, i64)>) -> Timestamp {
        let mut time = match at {
            Some(second) => self.next_local_time(self.now, second),
            None => self.now,
        };
        if let Some((start, end)) = window {
            let second = self.second_of_day(time);
            let open = if start < end {
                start <= second && second < end
            } else {
                second >= start || second < end
            };
            if !open {
                time = self.next_local_time(time, start);
            }
        }
        time
    }

    fn second_of_day(&self, at: Timestamp) -> i64 {
        (at.as_second() + i64::from(OFFSET_SECONDS)).rem_euclid(DAY)
    }

    fn next_local_time(&self, from: Timestamp, second_of_day: i64) -> Timestamp {
        let local = from.as_second() + i64::from(OFFSET_SECONDS);
        let midnight = local - local.rem_euclid(DAY);
        let mut candidate = midnight + second_of_day - i64::from(OFFSET_SECONDS);
        if Timestamp::from_second(candidate).map_or(true, |t| t < from) {
            candidate += DAY;
        }
        Timestamp::from_second(candidate).unwrap_or(from)
    }
}

/// The touch history, resolved against the playbook.
struct PastTouch {
    rule: Option<Rule>,
    channel: Option<Channel>,
    at: Timestamp,
}

struct Planner<'m, 'r> {
    run: &'r Run,
    member: &'m Snapshot<'m>,
    history: Vec<PastTouch>,
    plan: Plan<'m>,
    taken: Vec<Group>,
    planned: Vec<(Rule, Channel)>,
}

impl<'m, 'r> Planner<'m, 'r> {
    /// Holdout first, then the group; `actions` plans the rule's actions and tells
    /// whether any was planned.
    fn candidate(&mut self, rule: Rule, actions: impl FnOnce(&mut Self) -> bool) {
        if self.plan.holdout {
            self.suppress(rule, "holdout", None);
            return;
        }
        let group = rule.group();
        if group.is_some_and(|group| self.taken.contains(&group)) {
            self.suppress(rule, "group", None);
            return;
        }
        if actions(self) {
            if let Some(group) = group {
                self.taken.push(group);
            }
        }
    }

    fn suppress(&mut self, rule: Rule, reason: &'static str, channel: Option<Channel>) {
        self.plan.suppressed.push(Suppression {
            rule: rule.name(),
            reason,
            channel: channel.map(Channel::name),
        });
    }

    /// A touch: consent, send time, caps; the content and arguments are made only
    /// when it is planned.
    fn touch(
        &mut self,
        rule: Rule,
        verb: &'static str,
        channel: Channel,
        at: Option<i64>,
        body: impl FnOnce() -> (String, Args<'m>),
    ) -> bool {
        if !channel.consent(self.member) {
            self.suppress(rule, "consent", Some(channel));
            return false;
        }
        let time = self.run.send_time(at, Some(channel.window()));
        if let Some(reason) = self.full_cap(rule, channel) {
            self.suppress(rule, reason, Some(channel));
            return false;
        }
        let (content, args) = body();
        self.push(rule, verb, Some(channel), content, time, args);
        self.planned.push((rule, channel));
        true
    }

    /// A tag, audience or assignment: planned at once.
    fn note(&mut self, rule: Rule, verb: &'static str, content: String, args: Args<'m>) -> bool {
        self.push(rule, verb, None, content, self.run.now, args);
        true
    }

    fn push(
        &mut self,
        rule: Rule,
        verb: &'static str,
        channel: Option<Channel>,
        content: String,
        at: Timestamp,
        args: Args<'m>,
    ) {
        self.plan.actions.push(Action {
            rule: rule.name(),
            verb,
            channel: channel.map(Channel::name),
            content,
            at: self.run.format(at),
            priority: rule.priority(),
            args,
        });
    }

    /// The first full cap: the rule's, the channel's, then the member's.
    fn full_cap(&self, rule: Rule, channel: Channel) -> Option<&'static str> {
        let by_rule = |r: Option<Rule>, _: Option<Channel>| r == Some(rule);
        let by_channel = |_: Option<Rule>, c: Option<Channel>| c == Some(channel);
        let any = |_: Option<Rule>, _: Option<Channel>| true;
        if let Some(cap) = rule.cap() {
            if self.counted(cap, by_rule) >= cap.count {
                return Some("rule_cap");
            }
        }
        if let Some(cap) = channel.cap() {
            if self.counted(cap, by_channel) >= cap.count {
                return Some("channel_cap");
            }
        }
        if self.counted(MEMBER_CAP, any) >= MEMBER_CAP.count {
            return Some("member_cap");
        }
        None
    }

    fn counted(&self, cap: Cap, counts: impl Fn(Option<Rule>, Option<Channel>) -> bool) -> usize {
        let now = self.run.now;
        let since = now
            .checked_sub(jiff::SignedDuration::from_secs(cap.days * DAY))
            .unwrap_or(Timestamp::MIN);
        let past = self
            .history
            .iter()
            .filter(|t| t.at > since && t.at <= now && counts(t.rule, t.channel))
            .count();
        let planned = self
            .planned
            .iter()
            .filter(|(r, c)| counts(Some(*r), Some(*c)))
            .count();
        past + planned
    }
}

fn holdout_bucket(id: &str) -> u32 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in PLAYBOOK_NAME.bytes().chain([0u8]).chain(id.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash = (hash ^ (hash >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    hash = (hash ^ (hash >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    ((hash ^ (hash >> 31)) % 10_000) as u32
}

fn history(member: &Snapshot) -> Result<Vec<PastTouch>, String> {
    member
        .touches
        .iter()
        .map(|touch| {
            let at = touch
                .at
                .parse::<Timestamp>()
                .map_err(|error| format!("touch `at`: {error}"))?;
            Ok(PastTouch {
                rule: touch.rule.as_deref().and_then(Rule::from_name),
                channel: Channel::from_name(&touch.channel),
                at,
            })
        })
        .collect()
}

fn has(tags: &[Text], wanted: &str) -> bool {
    tags.iter().any(|tag| &**tag == wanted)
}

/// Plans one member: the playbook's segments, stages and 20 rules.
pub(crate) fn plan_member<'m>(run: &Run, m: &'m Snapshot<'m>) -> Result<Plan<'m>, String> {
    // Segments.
    let silent = m.last_active_days > 60;
    let never_paid = m.orders == 0;
    let high_value = m.spend >= 2000.0 || matches!(m.tier, Tier::Gold | Tier::Platinum);
    let engaged = m.interactions_30d >= 3 || m.live_watch_30d >= 2;

    let stage = if silent {
        Stage::Dormant
    } else if m.orders >= 3 && m.referrals >= 1 {
        Stage::Advocate
    } else if m.orders >= 2 {
        Stage::RepeatBuyer
    } else if m.orders == 1 {
        Stage::FirstBuyer
    } else if m.days_since_follow <= 7 {
        Stage::NewFan
    } else if engaged {
        Stage::ActiveFan
    } else {
        Stage::Fan
    };
    let in_stages = |stages: &[Stage]| stages.contains(&stage);

    let mut planner = Planner {
        run,
        member: m,
        history: history(m)?,
        plan: Plan {
            member: &m.id,
            stage: stage.name(),
            holdout: holdout_bucket(&m.id) < HOLDOUT_BUCKETS,
            actions: Vec::new(),
            suppressed: Vec::new(),
        },
        taken: Vec::new(),
        planned: Vec::new(),
    };
    let p = &mut planner;
    let nick = m.nickname.as_deref().unwrap_or("亲");
    let no_args = Args::default;

    if m.cart_items >= 1 && !silent {
        p.candidate(Rule::CartNudge, |p| {
            p.touch(
                Rule::CartNudge,
                "send",
                Channel::DouyinDm,
                Some(hm(20, 0)),
                || {
                    let text = format!(
                        "{nick}，购物车里的 {} 件宝贝库存告急，今晚下单包邮",
                        m.cart_items
                    );
                    (text, no_args())
                },
            )
        });
    }
    if m.cart_items >= 1 && !silent {
        p.candidate(Rule::CartNudgeWecom, |p| {
            let rule = Rule::CartNudgeWecom;
            p.touch(rule, "send", Channel::Wecom, Some(hm(20, 0)), || {
                let text = format!("{nick}，您加购的 {} 件宝贝还在等您", m.cart_items);
                (text, no_args())
            })
        });
    }
    if in_stages(&[Stage::NewFan, Stage::ActiveFan]) && !m.fan_group {
        p.candidate(Rule::InviteFanGroup, |p| {
            p.touch(
                Rule::InviteFanGroup,
                "invite",
                Channel::DouyinDm,
                None,
                || {
                    let text = format!("{nick}，欢迎关注！进粉丝群每周三群内秒杀");
                    let args = vec![
                        ("group", Arg::Str("官方粉丝 1 群")),
                        ("coupon", Arg::Int(10)),
                    ];
                    (text, Args(args))
                },
            )
        });
    }
    if in_stages(&[Stage::NewFan, Stage::ActiveFan]) && !m.fan_group && m.source != Source::Store {
        p.candidate(Rule::InviteWecom, |p| {
            p.touch(Rule::InviteWecom, "invite", Channel::Wecom, None, || {
                let text = format!("{nick}，添加专属顾问企业微信，免费领新人小样");
                (text, Args(vec![("pool", Arg::Str("advisors"))]))
            })
        });
    }
    let free_stages = [Stage::NewFan, Stage::ActiveFan, Stage::Fan];
    if in_stages(&free_stages) && never_paid && !silent {
        p.candidate(Rule::FirstOrderDm, |p| {
            p.touch(
                Rule::FirstOrderDm,
                "coupon",
                Channel::DouyinDm,
                None,
                || {
                    let text = format!("{nick}，送你 20 元首单券，{} 前有效", run.in_3_days);
                    let args = vec![("amount", Arg::Int(20)), ("threshold", Arg::Int(99))];
                    (text, Args(args))
                },
            )
        });
    }
    if in_stages(&free_stages) && never_paid && engaged && m.nickname.is_some() {
        p.candidate(Rule::FirstOrderSms, |p| {
            let rule = Rule::FirstOrderSms;
            p.touch(rule, "coupon", Channel::Sms, Some(hm(10, 0)), || {
                let text = format!(
                    "【基准】{nick}，20 元首单券已到账，{} 前有效。回T退订",
                    run.in_3_days
                );
                (text, Args(vec![("amount", Arg::Int(20))]))
            })
        });
    }
    let paid_stages = [Stage::FirstBuyer, Stage::RepeatBuyer, Stage::Advocate];
    let lapsing = m
        .last_order_days
        .is_some_and(|days| (25..=60).contains(&days));
    if in_stages(&paid_stages) && lapsing {
        p.candidate(Rule::RepurchaseDm, |p| {
            p.touch(
                Rule::RepurchaseDm,
                "coupon",
                Channel::DouyinDm,
                None,
                || {
                    let concern = m.skin_concern.as_deref().unwrap_or("好物");
                    let text = format!("{nick}，上次入手的{concern}快用完了吧？回购 9 折");
                    (text, Args(vec![("discount", Arg::Float(0.9))]))
                },
            )
        });
    }
    if m.tier == Tier::Silver && m.spend >= 1500.0 && m.spend < 2000.0 {
        p.candidate(Rule::GoldUpgrade, |p| {
            p.touch(Rule::GoldUpgrade, "send", Channel::DouyinDm, None, || {
                let text = format!("{nick}，再消费 {} 元即可升级金卡", 2000.0 - m.spend);
                (text, no_args())
            })
        });
    }
    let concern = m.skin_concern.as_deref();
    if matches!(concern, Some("敏感肌" | "祛痘")) && m.interactions_30d >= 1 {
        p.candidate(Rule::SensitiveSkin, |p| {
            let rule = Rule::SensitiveSkin;
            p.touch(rule, "send", Channel::DouyinDm, Some(hm(12, 0)), || {
                let concern = concern.unwrap_or("");
                let text = format!("{concern}护理小贴士：换季少用去角质产品");
                (text, no_args())
            })
        });
    }
    let live_stages = [
        Stage::ActiveFan,
        Stage::FirstBuyer,
        Stage::RepeatBuyer,
        Stage::Advocate,
    ];
    if in_stages(&live_stages) && m.live_watch_30d >= 1 && m.consent.live {
        p.candidate(Rule::LiveReminder, |p| {
            let rule = Rule::LiveReminder;
            p.touch(rule, "remind", Channel::FanGroup, Some(hm(19, 0)), || {
                let text = "今晚 19:30 新品直播，群友专享口令下单再减 10 元".to_string();
                (text, no_args())
            })
        });
    }
    if has(&m.tags, "价格敏感") && m.voucher_unredeemed == 0 && !silent {
        p.candidate(Rule::PriceSensitive, |p| {
            let rule = Rule::PriceSensitive;
            p.touch(rule, "coupon", Channel::Wecom, Some(hm(11, 0)), || {
                let text = format!("{nick}，限时满 199 减 30");
                let args = vec![("amount", Arg::Int(30)), ("threshold", Arg::Int(199))];
                (text, Args(args))
            })
        });
    }
    let store = m.nearest_store.as_deref();
    let near = m.distance_km.is_some_and(|km| km < 5.0);
    let big_city = matches!(&*m.city, "上海" | "北京" | "杭州" | "深圳");
    if near && big_city && !silent {
        p.candidate(Rule::LocalStore, |p| {
            p.touch(Rule::LocalStore, "invite", Channel::Wecom, None, || {
                let km = m.distance_km.unwrap_or_default();
                let text = format!(
                    "{nick}，离你 {km} 公里的 {} 门店本周免费试用",
                    store.unwrap_or("")
                );
                let args = vec![
                    ("store", Arg::Str(store.unwrap_or("online"))),
                    ("km", Arg::Float(km)),
                ];
                (text, Args(args))
            })
        });
    }
    let store_listed = store.is_some_and(|store| store.contains("S00"));
    if store_listed && m.distance_km.is_some_and(|km| km <= 10.0) {
        p.candidate(Rule::StoreNearbyTag, |p| {
            let text = format!("门店 {}", store.unwrap_or(""));
            p.note(Rule::StoreNearbyTag, "tag", text, no_args())
        });
    }
    let referrer = m.referrals >= 2 || (m.orders >= 5 && m.spend >= 3000.0);
    if in_stages(&[Stage::RepeatBuyer, Stage::Advocate]) && referrer {
        p.candidate(Rule::ReferralInvite, |p| {
            let rule = Rule::ReferralInvite;
            p.touch(rule, "send", Channel::Wecom, Some(hm(11, 0)), || {
                let text = format!("{nick}，邀好友入群，好友首单你得 30 元券");
                (text, Args(vec![("reward", Arg::Int(30))]))
            })
        });
    }
    if stage == Stage::Dormant && m.orders >= 1 && m.last_order_days.is_some() {
        p.candidate(Rule::WinbackSms, |p| {
            let rule = Rule::WinbackSms;
            p.touch(rule, "coupon", Channel::Sms, Some(hm(10, 0)), || {
                let text = format!(
                    "【基准】{nick}，好久不见，30 元回归券 {} 前有效。回T退订",
                    run.in_7_days
                );
                (text, Args(vec![("amount", Arg::Int(30))]))
            })
        });
    }
    if high_value && !silent {
        p.candidate(Rule::VipAssign, |p| {
            let args = vec![
                ("tier", Arg::Str(m.tier.name())),
                ("spend", Arg::Float(m.spend)),
            ];
            p.note(Rule::VipAssign, "assign", "专属顾问跟进".into(), Args(args))
        });
    }
    if has(&m.tags, "学生") || (has(&m.tags, "宝妈") && m.orders == 0) {
        p.candidate(Rule::StudentTag, |p| {
            let text = format!("价格敏感人群·{}", &*m.city);
            p.note(Rule::StudentTag, "tag", text, no_args())
        });
    }
    if stage == Stage::Dormant && m.spend >= 100.0 {
        p.candidate(Rule::DormantAudience, |p| {
            p.note(
                Rule::DormantAudience,
                "audience",
                "沉睡召回包".into(),
                no_args(),
            )
        });
    }
    let keen = m.cart_items >= 2 || m.interactions_30d >= 10;
    if never_paid && keen && m.last_active_days <= 14 {
        p.candidate(Rule::HighIntentAudience, |p| {
            let rule = Rule::HighIntentAudience;
            p.note(rule, "audience", "高意向未购".into(), no_args())
        });
    }
    if stage == Stage::NewFan {
        p.candidate(Rule::TagNew, |p| {
            let text = format!("新粉·{}", m.source.name());
            p.note(Rule::TagNew, "tag", text, no_args())
        });
    }
    Ok(planner.plan)
}

// ── The program ──────────────────────────────────────────────────────────────────────

struct Options {
    members: String,
    as_of: Timestamp,
    out: Option<String>,
    decode_only: bool,
}

fn parse_options() -> Result<Options, String> {
    let mut members = None;
    let mut as_of = "2026-11-25T09:00:00+08:00".to_string();
    let mut out = None;
    let mut decode_only = false;
    let mut arguments = std::env::args().skip(1);
    while let Some(argument) = arguments.next() {
        match argument.as_str() {
            "--members" => members = arguments.next(),
            "--as-of" => as_of = arguments.next().ok_or("--as-of needs a value")?,
            "--out" => out = arguments.next(),
            "--decode-only" => decode_only = true,
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(Options {
        members: members.ok_or("missing --members PATH")?,
        as_of: as_of
            .parse()
            .map_err(|error| format!("bad --as-of: {error}"))?,
        out,
        decode_only,
    })
}

fn open(path: &str) -> io::Result<Box<dyn BufRead>> {
    if path == "-" {
        return Ok(Box::new(BufReader::with_capacity(1 << 16, io::stdin())));
    }
    Ok(Box::new(BufReader::with_capacity(
        1 << 16,
        File::open(path)?,
    )))
}

fn run(options: &Options) -> io::Result<()> {
    let mut input = open(&options.members)?;
    let mut out: Box<dyn Write> = match &options.out {
        Some(path) => Box::new(BufWriter::with_capacity(1 << 16, File::create(path)?)),
        None => Box::new(BufWriter::with_capacity(1 << 16, io::stdout().lock())),
    };
    let run = Run::new(options.as_of);
    let mut line = String::new();
    let (mut number, mut planned, mut invalid) = (0u64, 0u64, 0u64);
    loop {
        line.clear();
        if input.read_line(&mut line)? == 0 {
            break;
        }
        number += 1;
        let text = line.trim_end();
        if text.is_empty() {
            continue;
        }
        let snapshot: Snapshot = match serde_json::from_str(text) {
            Ok(snapshot) => snapshot,
            Err(error) => {
                invalid += 1;
                eprintln!("invalid: line {number}: {error}");
                continue;
            }
        };
        if options.decode_only {
            planned += u64::from(!snapshot.id.is_empty());
            continue;
        }
        match plan_member(&run, &snapshot) {
            Ok(plan) => {
                serde_json::to_writer(&mut out, &plan)?;
                out.write_all(b"\n")?;
                planned += 1;
            }
            Err(error) => {
                invalid += 1;
                eprintln!("invalid: line {number}: {error}");
            }
        }
    }
    out.flush()?;
    let what = if options.decode_only {
        "decoded"
    } else {
        "planned"
    };
    eprintln!("reference: {what} {planned}, invalid {invalid}");
    Ok(())
}

fn main() -> ExitCode {
    let options = match parse_options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("reference: {message}");
            eprintln!(
                "usage: reference --members PATH [--as-of DATETIME] [--out PATH] [--decode-only]"
            );
            return ExitCode::from(2);
        }
    };
    match run(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("reference: {error}");
            ExitCode::FAILURE
        }
    }
}
