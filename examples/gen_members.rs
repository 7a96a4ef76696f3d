//! Generates sample member snapshots for the shipped playbooks, as JSON Lines on stdout.
//!
//! ```sh
//! cargo run --release --example gen_members -- 5000 > examples/members.jsonl
//! cargo run --release --example gen_members -- 10000000 42 > big.jsonl
//! ```
//!
//! Arguments: the number of members, then an optional seed (default 20261125).
//!
//! The output is deterministic: member `i` depends only on the seed and `i` (each
//! member has its own splitmix64 stream), so a short file is a prefix of a long one
//! made with the same seed. Members are written one at a time, so memory stays flat
//! whatever the count.
//!
//! One file serves all four playbooks under `rules/`: every member carries every field
//! any of their schemas requires, and each playbook ignores the fields it does not
//! declare. The shapes are skewed the way a brand's CRM is: most members never bought,
//! spend has a long tail, consent differs by channel, some nicknames are null or
//! missing, and about a third of members carry recent `touches` (before
//! 2026-11-25T09:00:00+08:00) naming the playbooks' rules and channels.

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

const DEFAULT_SEED: u64 = 20_261_125;

/// The as-of time the touches are generated before (local time, UTC+8).
const AS_OF: (i16, i8, i8, i8) = (2026, 11, 25, 9);

const NICKNAMES: &[&str] = &[
    "小鹿",
    "阿杰",
    "糖糖",
    "Coco",
    "小米粒",
    "大胃王",
    "阿瑶",
    "七七",
    "老陈",
    "Vivian",
    "晴天",
    "橙子",
    "阿哲",
    "小林",
    "Leo",
    "奶茶控",
    "月亮",
    "花花",
    "周周",
    "阿花",
    "小雨",
    "豆豆",
    "木子",
    "桃桃",
    "老张",
    "一一",
    "小鱼儿",
    "Momo",
    "暖暖",
    "阿凯",
    "星星",
    "小熊",
    "咕噜",
    "Amy",
    "西西",
    "安安",
    "可乐",
    "饭团",
    "大鹏",
    "小满",
];

const CITIES: &[(&str, u32)] = &[
    ("上海", 12),
    ("北京", 11),
    ("杭州", 8),
    ("广州", 8),
    ("深圳", 8),
    ("成都", 7),
    ("武汉", 5),
    ("南京", 5),
    ("长沙", 5),
    ("西安", 4),
    ("重庆", 5),
    ("苏州", 4),
    ("合肥", 3),
    ("郑州", 3),
    ("天津", 3),
    ("青岛", 2),
    ("厦门", 2),
    ("昆明", 2),
];

const SOURCES: &[(&str, u32)] = &[
    ("video", 40),
    ("live", 25),
    ("search", 15),
    ("ad", 15),
    ("store", 5),
];

const TAGS: &[&str] = &[
    "直播间下单",
    "短视频种草",
    "价格敏感",
    "学生",
    "宝妈",
    "白领",
    "夜猫子",
    "企微好友",
    "会员日常客",
    "老客推荐",
];

const SKIN_CONCERNS: &[&str] = &["保湿", "美白", "抗老", "控油", "敏感肌", "祛痘"];
const DISHES: &[&str] = &[
    "剁椒鱼头",
    "小炒黄牛肉",
    "酸菜鱼",
    "招牌烤鸭",
    "水煮牛肉",
    "杨枝甘露",
];
const PRODUCTS: &[&str] = &["手机", "笔记本", "平板", "耳机", "智能手表", "相机"];
const MODELS: &[&str] = &["星途 L7", "星途 L9", "星途 E5", "星途 T3", "星途 M8"];
const ADVISORS: &[&str] = &["王顾问", "李顾问", "张顾问", "刘顾问", "陈顾问"];

/// Rule names of the shipped playbooks, by the channel they send on.
const TOUCH_RULES: &[(&str, u32, &[&str])] = &[
    (
        "douyin_dm",
        35,
        &[
            "invite_fan_group",
            "cart_nudge",
            "first_order_dm",
            "repurchase_dm",
            "free_live_source",
            "free_video_source",
            "paid_lapsing",
            "live_first_visit",
            "voucher_reminder",
            "booking_card_lunch",
            "local_offer",
            "review_ask",
            "invite_store_group",
            "price_drop_cart",
            "qa_group_invite",
            "content_series",
            "cross_sell_dm",
            "lead_dm_hello",
            "test_drive_invite",
            "lead_form_push",
        ],
    ),
    (
        "wecom",
        20,
        &[
            "invite_wecom",
            "cart_nudge_wecom",
            "first_order_wecom",
            "repurchase_wecom",
            "free_advisor_hello",
            "paid_vip_care",
            "advocate_bring_friend",
            "qa_wecom",
            "cross_sell_accessory",
            "lead_wecom_hello",
            "post_drive_followup",
            "offline_event",
            "owner_service",
        ],
    ),
    (
        "sms",
        12,
        &[
            "first_order_sms",
            "winback_sms",
            "voucher_reminder_sms",
            "dormant_winback",
            "warranty_care",
            "dormant_launch_sms",
            "lead_sms",
            "offline_event_sms",
            "owner_service_sms",
            "dormant_reactivate",
        ],
    ),
    (
        "douyin_live",
        10,
        &[
            "live_routine",
            "live_new_product",
            "live_local_deal",
            "live_launch_preview",
            "live_car_show",
        ],
    ),
    (
        "douyin_fan_group",
        10,
        &["flash_sale_group", "live_group_notice", "group_qa_digest"],
    ),
    (
        "wecom_mass",
        8,
        &["referral_invite", "regular_weekend", "owner_referral"],
    ),
    (
        "oa",
        5,
        &["regular_weekend_oa", "content_series_oa", "trade_in_long"],
    ),
];

/// splitmix64: a tiny, well-mixed generator; one stream per member.
struct Random {
    state: u64,
}

impl Random {
    fn for_member(seed: u64, index: u64) -> Random {
        let mut random = Random {
            state: seed ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03),
        };
        random.next_u64();
        random
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn chance(&mut self, probability: f64) -> bool {
        self.unit() < probability
    }

    /// Uniform integer in [low, high].
    fn between(&mut self, low: i64, high: i64) -> i64 {
        let width = (high - low + 1).max(1) as u64;
        low + (self.next_u64() % width) as i64
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        let index = (self.next_u64() % items.len().max(1) as u64) as usize;
        items.get(index).copied().unwrap_or("")
    }

    /// The index of an item drawn with the given weights.
    fn weighted_index(&mut self, weights: impl Iterator<Item = u32> + Clone) -> usize {
        let total: u64 = weights.clone().map(u64::from).sum();
        let mut roll = self.next_u64() % total.max(1);
        for (index, weight) in weights.enumerate() {
            if roll < u64::from(weight) {
                return index;
            }
            roll -= u64::from(weight);
        }
        0
    }

    fn weighted_name(&mut self, items: &[(&'static str, u32)]) -> &'static str {
        let index = self.weighted_index(items.iter().map(|item| item.1));
        items.get(index).map(|item| item.0).unwrap_or("")
    }

    /// A heavy-tailed count: zero with probability `zero`, else 1, 2, … with each
    /// further step taken with probability `step`, at most `max`.
    fn tail_count(&mut self, zero: f64, step: f64, max: i64) -> i64 {
        if self.chance(zero) {
            return 0;
        }
        let mut count = 1;
        while count < max && self.chance(step) {
            count += 1;
        }
        count
    }
}

/// One touch from the member's recent history.
struct Touch {
    rule: Option<&'static str>,
    channel: &'static str,
    minutes_before: i64,
}

/// One member snapshot, every field of every shipped schema.
struct Member {
    id: u64,
    nickname: Nickname,
    city: &'static str,
    tier: &'static str,
    tags: Vec<&'static str>,
    source: &'static str,
    days_since_follow: i64,
    last_active_days: i64,
    interactions_30d: i64,
    live_watch_30d: i64,
    fan_group: bool,
    orders: i64,
    spend_cents: i64,
    last_order_days: Option<i64>,
    cart_items: i64,
    referrals: i64,
    reviews: i64,
    skin_concern: Option<&'static str>,
    distance_tenths: Option<i64>,
    nearest_store: Option<String>,
    visits_90d: i64,
    last_visit_days: Option<i64>,
    voucher_unredeemed: i64,
    favorite_dish: Option<&'static str>,
    content_views_30d: i64,
    questions_asked: i64,
    product_interest: Option<&'static str>,
    owned_category: Option<&'static str>,
    days_considering: Option<i64>,
    warranty_days_left: Option<i64>,
    lead_days: Option<i64>,
    advisor: Option<&'static str>,
    test_drive_days: Option<i64>,
    model_interest: Option<&'static str>,
    last_service_days: Option<i64>,
    consent: [bool; 5],
    touches: Vec<Touch>,
}

/// A nickname, null, or no key at all.
enum Nickname {
    Name(&'static str),
    Null,
    Missing,
}

fn optional<T>(
    random: &mut Random,
    present: f64,
    value: impl FnOnce(&mut Random) -> T,
) -> Option<T> {
    if random.chance(present) {
        Some(value(random))
    } else {
        None
    }
}

fn generate(seed: u64, index: u64) -> Member {
    let mut random = Random::for_member(seed, index);
    let random = &mut random;

    let nickname = match random.unit() {
        roll if roll < 0.08 => Nickname::Null,
        roll if roll < 0.12 => Nickname::Missing,
        _ => Nickname::Name(random.pick(NICKNAMES)),
    };
    let source = random.weighted_name(SOURCES);

    // Following and activity: a stream of new fans, a long body, a dormant tail.
    let days_since_follow = if random.chance(0.12) {
        random.between(0, 7)
    } else {
        random.between(8, 90) + random.tail_count(0.2, 0.99, 1500)
    };
    let last_active_days = match random.unit() {
        roll if roll < 0.55 => random.between(0, 14),
        roll if roll < 0.83 => random.between(15, 60),
        _ => random.between(61, 365),
    }
    .min(days_since_follow.max(0));
    let quiet = last_active_days > 60;
    let interactions_30d = if quiet {
        0
    } else {
        random.tail_count(0.4, 0.75, 60)
    };
    let live_bias = if source == "live" { 0.3 } else { 0.6 };
    let live_watch_30d = if quiet {
        0
    } else {
        random.tail_count(live_bias, 0.6, 20)
    };

    // Orders: most never bought; spend per order is long-tailed.
    let orders = match random.unit() {
        roll if roll < 0.68 => 0,
        roll if roll < 0.84 => 1,
        roll if roll < 0.92 => 2,
        _ => 3 + random.tail_count(0.0, 0.7, 40),
    };
    let mut spend_cents = 0;
    for _ in 0..orders {
        let basket = 4_900.0 / (1.0 - random.unit()).powf(0.75);
        spend_cents += (basket.min(5_000_000.0) as i64 / 10) * 10;
    }
    let last_order_days =
        (orders > 0).then(|| random.between(1, 30) + random.tail_count(0.2, 0.98, 700));
    let tier = match spend_cents {
        cents if cents >= 500_000 => "platinum",
        cents if cents >= 200_000 => "gold",
        cents if cents >= 50_000 => "silver",
        _ if random.chance(0.03) => "silver",
        _ => "none",
    };
    let fan_group = random.chance(if orders > 0 || live_watch_30d > 0 {
        0.45
    } else {
        0.15
    });
    let tags = (0..random.tail_count(0.35, 0.4, 3))
        .map(|_| random.pick(TAGS))
        .fold(Vec::new(), |mut tags, tag| {
            if !tags.contains(&tag) {
                tags.push(tag);
            }
            tags
        });

    // Consent differs by channel; buyers are likelier to be WeCom contacts.
    let buyer = orders > 0;
    let consent = [
        random.chance(0.45),
        random.chance(if live_watch_30d > 0 { 0.7 } else { 0.3 }),
        random.chance(if buyer { 0.45 } else { 0.15 }),
        random.chance(0.35),
        random.chance(0.25),
    ];

    let cart_items = if quiet {
        0
    } else {
        random.tail_count(0.82, 0.4, 8)
    };
    let referrals = random.tail_count(if orders >= 2 { 0.6 } else { 0.95 }, 0.4, 10);
    let reviews = random.tail_count(if buyer { 0.7 } else { 0.97 }, 0.3, 5);

    // Local life: distance to the nearest store, visits, vouchers.
    let distance_tenths = optional(random, 0.85, |r| {
        let km = -8.0 * (1.0 - r.unit()).ln();
        (km * 10.0).round().min(3_000.0) as i64
    });
    let nearest_store = distance_tenths.map(|_| format!("S{:03}", random.between(1, 12)));
    let visits_90d = match random.unit() {
        roll if roll < 0.62 => 0,
        roll if roll < 0.82 => 1,
        _ => 2 + random.tail_count(0.3, 0.6, 20),
    };
    let last_visit_days = (visits_90d > 0).then(|| random.between(0, 89));
    let voucher_unredeemed = random.tail_count(0.86, 0.3, 4);

    // Electronics: content, questions, what they own.
    let content_views_30d = if quiet {
        0
    } else {
        random.tail_count(0.45, 0.8, 80)
    };
    let questions_asked = random.tail_count(0.9, 0.3, 6);
    let owned_category = buyer.then(|| random.pick(PRODUCTS));
    let days_considering = optional(random, 0.45, |r| r.between(1, 120));
    let warranty_days_left = buyer.then(|| random.between(-400, 730));

    // Cars: leads, advisors, test drives, service.
    let lead_days = optional(random, 0.16, |r| {
        r.between(0, 10) + r.tail_count(0.4, 0.95, 300)
    });
    let advisor = match lead_days {
        Some(days) if days > 1 || random.chance(0.3) => Some(random.pick(ADVISORS)),
        _ => None,
    };
    let test_drive_days = match lead_days {
        Some(days) if random.chance(0.35) => Some(random.between(0, days)),
        _ => None,
    };
    let model_interest = optional(random, 0.6, |r| r.pick(MODELS));
    let last_service_days = buyer.then(|| random.between(10, 400));

    let skin_concern = optional(random, 0.8, |r| r.pick(SKIN_CONCERNS));
    let favorite_dish = optional(random, 0.7, |r| r.pick(DISHES));
    let product_interest = optional(random, 0.75, |r| r.pick(PRODUCTS));

    let touches = generate_touches(random);

    Member {
        id: index,
        nickname,
        city: random.weighted_name(CITIES),
        tier,
        tags,
        source,
        days_since_follow,
        last_active_days,
        interactions_30d,
        live_watch_30d,
        fan_group,
        orders,
        spend_cents,
        last_order_days,
        cart_items,
        referrals,
        reviews,
        skin_concern,
        distance_tenths,
        nearest_store,
        visits_90d,
        last_visit_days,
        voucher_unredeemed,
        favorite_dish,
        content_views_30d,
        questions_asked,
        product_interest,
        owned_category,
        days_considering,
        warranty_days_left,
        lead_days,
        advisor,
        test_drive_days,
        model_interest,
        last_service_days,
        consent,
        touches,
    }
}

/// About a third of members were touched in the last 30 days, most of them lately.
fn generate_touches(random: &mut Random) -> Vec<Touch> {
    if !random.chance(0.35) {
        return Vec::new();
    }
    let count = 1 + random.tail_count(0.0, 0.45, 5);
    let mut touches: Vec<Touch> = (0..count)
        .map(|_| {
            let index = random.weighted_index(TOUCH_RULES.iter().map(|entry| entry.1));
            let (channel, _, rules) = TOUCH_RULES.get(index).copied().unwrap_or(("sms", 1, &[]));
            let rule = random
                .chance(0.85)
                .then(|| random.pick(rules))
                .filter(|rule| !rule.is_empty());
            // Sends go out between 09:00 and 21:00 local time, on a day before the as-of
            // morning: yesterday for two in five touches, else within the week or month.
            let days_before = match random.unit() {
                roll if roll < 0.4 => 1,
                roll if roll < 0.75 => random.between(2, 7),
                _ => random.between(8, 30),
            };
            let minute_of_day = random.between(9 * 60, 21 * 60 - 1);
            let minutes_before = days_before * 24 * 60 + (AS_OF.3 as i64) * 60 - minute_of_day;
            Touch {
                rule,
                channel,
                minutes_before,
            }
        })
        .collect();
    touches.sort_by_key(|touch| std::cmp::Reverse(touch.minutes_before));
    touches
}

/// Writes `text` as a JSON string.
fn write_string(out: &mut impl Write, text: &str) -> io::Result<()> {
    out.write_all(b"\"")?;
    for character in text.chars() {
        match character {
            '"' => out.write_all(b"\\\"")?,
            '\\' => out.write_all(b"\\\\")?,
            '\n' => out.write_all(b"\\n")?,
            control if (control as u32) < 0x20 => write!(out, "\\u{:04x}", control as u32)?,
            other => write!(out, "{other}")?,
        }
    }
    out.write_all(b"\"")
}

fn write_optional_string(out: &mut impl Write, value: Option<&str>) -> io::Result<()> {
    match value {
        Some(text) => write_string(out, text),
        None => out.write_all(b"null"),
    }
}

fn write_optional_int(out: &mut impl Write, value: Option<i64>) -> io::Result<()> {
    match value {
        Some(number) => write!(out, "{number}"),
        None => out.write_all(b"null"),
    }
}

/// A number of hundredths as a JSON number without trailing zeros (`99`, `1280.5`).
fn write_fixed(out: &mut impl Write, hundredths: i64) -> io::Result<()> {
    let whole = hundredths / 100;
    let fraction = hundredths % 100;
    match fraction {
        0 => write!(out, "{whole}"),
        f if f % 10 == 0 => write!(out, "{whole}.{}", f / 10),
        f => write!(out, "{whole}.{f:02}"),
    }
}

fn write_touch(
    out: &mut impl Write,
    touch: &Touch,
    as_of: jiff::civil::DateTime,
) -> io::Result<()> {
    let at = as_of
        .checked_sub(jiff::Span::new().minutes(touch.minutes_before))
        .unwrap_or(as_of);
    out.write_all(b"{")?;
    if let Some(rule) = touch.rule {
        out.write_all(b"\"rule\":")?;
        write_string(out, rule)?;
        out.write_all(b",")?;
    }
    out.write_all(b"\"channel\":")?;
    write_string(out, touch.channel)?;
    write!(
        out,
        ",\"at\":\"{}+08:00\"}}",
        at.strftime("%Y-%m-%dT%H:%M:%S")
    )
}

fn write_member(
    out: &mut impl Write,
    member: &Member,
    as_of: jiff::civil::DateTime,
) -> io::Result<()> {
    write!(out, "{{\"id\":\"m{:07}\"", member.id + 1)?;
    match member.nickname {
        Nickname::Name(name) => {
            out.write_all(b",\"nickname\":")?;
            write_string(out, name)?;
        }
        Nickname::Null => out.write_all(b",\"nickname\":null")?,
        Nickname::Missing => {}
    }
    out.write_all(b",\"city\":")?;
    write_string(out, member.city)?;
    out.write_all(b",\"tier\":")?;
    write_string(out, member.tier)?;
    out.write_all(b",\"tags\":[")?;
    for (position, tag) in member.tags.iter().enumerate() {
        if position > 0 {
            out.write_all(b",")?;
        }
        write_string(out, tag)?;
    }
    out.write_all(b"],\"source\":")?;
    write_string(out, member.source)?;
    write!(
        out,
        ",\"days_since_follow\":{},\"last_active_days\":{},\"interactions_30d\":{},\"live_watch_30d\":{},\"fan_group\":{},\"orders\":{},\"spend\":",
        member.days_since_follow,
        member.last_active_days,
        member.interactions_30d,
        member.live_watch_30d,
        member.fan_group,
        member.orders,
    )?;
    write_fixed(out, member.spend_cents)?;
    out.write_all(b",\"last_order_days\":")?;
    write_optional_int(out, member.last_order_days)?;
    write!(
        out,
        ",\"cart_items\":{},\"referrals\":{},\"reviews\":{},\"skin_concern\":",
        member.cart_items, member.referrals, member.reviews
    )?;
    write_optional_string(out, member.skin_concern)?;
    out.write_all(b",\"distance_km\":")?;
    match member.distance_tenths {
        Some(tenths) => write_fixed(out, tenths * 10)?,
        None => out.write_all(b"null")?,
    }
    out.write_all(b",\"nearest_store\":")?;
    write_optional_string(out, member.nearest_store.as_deref())?;
    write!(
        out,
        ",\"visits_90d\":{},\"last_visit_days\":",
        member.visits_90d
    )?;
    write_optional_int(out, member.last_visit_days)?;
    write!(
        out,
        ",\"voucher_unredeemed\":{},\"favorite_dish\":",
        member.voucher_unredeemed
    )?;
    write_optional_string(out, member.favorite_dish)?;
    write!(
        out,
        ",\"content_views_30d\":{},\"questions_asked\":{},\"product_interest\":",
        member.content_views_30d, member.questions_asked
    )?;
    write_optional_string(out, member.product_interest)?;
    out.write_all(b",\"owned_category\":")?;
    write_optional_string(out, member.owned_category)?;
    out.write_all(b",\"days_considering\":")?;
    write_optional_int(out, member.days_considering)?;
    out.write_all(b",\"warranty_days_left\":")?;
    write_optional_int(out, member.warranty_days_left)?;
    out.write_all(b",\"lead_days\":")?;
    write_optional_int(out, member.lead_days)?;
    out.write_all(b",\"advisor\":")?;
    write_optional_string(out, member.advisor)?;
    out.write_all(b",\"test_drive_days\":")?;
    write_optional_int(out, member.test_drive_days)?;
    out.write_all(b",\"model_interest\":")?;
    write_optional_string(out, member.model_interest)?;
    out.write_all(b",\"last_service_days\":")?;
    write_optional_int(out, member.last_service_days)?;
    let [douyin_dm, live, wecom, sms, oa] = member.consent;
    write!(
        out,
        ",\"consent\":{{\"douyin_dm\":{douyin_dm},\"live\":{live},\"wecom\":{wecom},\"sms\":{sms},\"oa\":{oa}}}"
    )?;
    if !member.touches.is_empty() {
        out.write_all(b",\"touches\":[")?;
        for (position, touch) in member.touches.iter().enumerate() {
            if position > 0 {
                out.write_all(b",")?;
            }
            write_touch(out, touch, as_of)?;
        }
        out.write_all(b"]")?;
    }
    out.write_all(b"}\n")
}

fn parse_arguments() -> Result<(u64, u64), String> {
    let mut arguments = std::env::args().skip(1);
    let count = match arguments.next() {
        Some(text) => text
            .replace('_', "")
            .parse::<u64>()
            .map_err(|_| format!("the member count must be a whole number, not `{text}`"))?,
        None => return Err("missing the member count".to_string()),
    };
    let seed = match arguments.next() {
        Some(text) => text
            .parse::<u64>()
            .map_err(|_| format!("the seed must be a whole number, not `{text}`"))?,
        None => DEFAULT_SEED,
    };
    if let Some(extra) = arguments.next() {
        return Err(format!("unexpected argument `{extra}`"));
    }
    Ok((count, seed))
}

fn main() -> ExitCode {
    let (count, seed) = match parse_arguments() {
        Ok(parsed) => parsed,
        Err(message) => {
            eprintln!("gen_members: {message}");
            eprintln!("usage: gen_members COUNT [SEED] > members.jsonl");
            return ExitCode::from(2);
        }
    };
    let (year, month, day, hour) = AS_OF;
    let as_of = jiff::civil::date(year, month, day).at(hour, 0, 0, 0);
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    for index in 0..count {
        let member = generate(seed, index);
        if let Err(error) = write_member(&mut out, &member, as_of) {
            return write_failed(error);
        }
    }
    match out.flush() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => write_failed(error),
    }
}

/// A closed pipe (`| head`) ends the output quietly; any other write error is reported.
fn write_failed(error: io::Error) -> ExitCode {
    if error.kind() == io::ErrorKind::BrokenPipe {
        return ExitCode::SUCCESS;
    }
    eprintln!("gen_members: cannot write: {error}");
    ExitCode::FAILURE
}
