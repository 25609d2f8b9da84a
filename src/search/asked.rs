//! Things a question names as what it asks about, which any passage that
//! answers it must mention too. "中国网络空间研究院的院长是谁" names the
//! institute and asks for its 院长: a paragraph about the institute that names
//! no 院长 cannot answer, however well it matches the institute's name. The
//! same holds for a headquarters, a birthplace, a floor area, a maker, a
//! nationality, a duration, or a place the question narrows to ("浙江有几家").
//!
//! Like [`super::demand`] the checks are lenient (any word of the kind
//! counts) and narrow: only attribute nouns that a stating passage would
//! spell out are listed; type words that the answer itself replaces (公司,
//! 职务, 城市, 名字) are not.

use super::demand::is_numeral;
use super::question::{mentions, words_before};
use super::year::{year_of, Year};
use crate::text::mostly_latin;

/// What a question asks about beyond its topic, each to be met by the passage.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Asked {
    /// Each group needs one of its words in the passage.
    groups: Vec<&'static [&'static str]>,
    /// A length of time (多久, 几年, how long).
    duration: bool,
    /// The year asked about (明年, 2025年), met by [`super::year::is_about`].
    pub year: Year,
    /// The question asks who holds a title, and not a deputy's (主任是谁, not
    /// 副主任是谁).
    head_asked: bool,
}

impl Asked {
    /// Whether `passage` (folded) mentions everything asked about.
    pub fn is_met(&self, passage: &str) -> bool {
        self.groups
            .iter()
            .all(|words| words.iter().any(|w| self.mentions(passage, w)))
            && (!self.duration || states_duration(passage))
    }

    /// Whether `passage` has `word`, and when the question asks who holds a
    /// title, not only as a deputy's (副主任 names no 主任, 资深副总裁 no 总裁),
    /// unless a deputy is what is asked. "曹主任期待的是什么" asks no holder.
    fn mentions(&self, passage: &str, word: &str) -> bool {
        passage
            .match_indices(word)
            .any(|(at, _)| !self.head_asked || !passage[..at].ends_with('副'))
    }
}

/// What `folded` (a folded question) asks about.
pub(super) fn asked_of(folded: &str) -> Asked {
    let latin = mostly_latin(folded);
    let mut asked = Asked::default();
    let mut need = |words: &'static [&'static str]| {
        if !asked.groups.contains(&words) {
            asked.groups.push(words);
        }
    };
    for (triggers, words) in ATTRIBUTES {
        if triggers.iter().any(|t| names_attribute(folded, t)) {
            need(words);
        }
    }
    if latin {
        for (triggers, words) in ENGLISH {
            if triggers.iter().any(|t| asks_in_english(folded, t)) {
                need(words);
            }
        }
    } else {
        for place in PLACES {
            if narrows_to(folded, place) {
                need(std::slice::from_ref(place));
            }
        }
        if NATIONALITY.iter().any(|w| folded.contains(w)) {
            need(NATIONS);
        }
        if asks_maker(folded) {
            need(MAKING);
        }
        if asks_location(folded) {
            need(LOCATED);
        }
    }
    asked.year = year_of(folded);
    asked.head_asked = !folded.contains('副')
        && ["是谁", "谁是", "叫什么", "叫啥", "是哪位", "何人", "名字"]
            .iter()
            .any(|w| folded.contains(w));
    asked.duration = if latin {
        mentions(folded, "how long", true) || mentions(folded, "how many years", true)
    } else {
        DURATION.iter().any(|w| {
            folded.match_indices(w).any(|(at, _)| {
                // 西元几年, 哪几年 and 哪几天 ask for dates; 多久以前, 几年前 for a
                // time that a date answers as well
                let before = &folded[..at];
                let after = folded[at + w.len()..].trim_start_matches(['以', '年']);
                !(after.starts_with('前')
                    || (w.starts_with('几') && before.ends_with('哪'))
                    || (*w == "几年" && before.ends_with('元')))
            })
        })
    };
    asked
}

/// Whether an English question asks for the attribute `word`: named after
/// a possessive ("Xiaomi's founder said …") it only says who is meant,
/// unless the question asks who or what that is ("who is Xiaomi's founder").
fn asks_in_english(folded: &str, word: &str) -> bool {
    let asks_what_it_is = ["who is", "who's", "who was", "what is", "what's", "whats"]
        .iter()
        .any(|w| folded.starts_with(w));
    words_before(folded, word)
        .any(|w| asks_what_it_is || !(w.ends_with("'s") || w.ends_with("’s") || w.ends_with("s'")))
}

/// Whether `folded` asks for the attribute `word`: it occurs next to a
/// question word (院长是谁, 什么成分, 面积有多大), not merely in passing
/// (成分中有地瓜粉的甜点), and as itself (会场, not the 分会场 that is another
/// name for a sub-forum).
fn names_attribute(folded: &str, word: &str) -> bool {
    const REACH: usize = 6;
    folded.match_indices(word).any(|(at, _)| {
        if word == "会场" && folded[..at].ends_with('分') {
            return false;
        }
        let mut before: Vec<char> = folded[..at].chars().rev().take(REACH).collect();
        before.reverse();
        let before: String = before.into_iter().collect();
        let after: String = folded[at + word.len()..].chars().take(REACH).collect();
        QUESTION_WORDS
            .iter()
            .any(|q| before.contains(q) || after.contains(q))
    })
}

/// Words that ask (what, who, which, how many …), next to which an attribute
/// is asked for.
const QUESTION_WORDS: &[&str] = &[
    "什么", "啥", "谁", "哪", "多少", "几", "多大", "多长", "多高", "多重", "多久", "多远", "如何",
    "怎样", "怎么", "为何", "何处", "何时", "何人", "何地",
];

/// Attribute nouns a question can ask for, and the words of which a passage
/// stating the attribute holds one.
const ATTRIBUTES: &[(&[&str], &[&str])] = &[
    // heads and roles of an organisation: the passage names the role
    (&["院长"], &["院长"]),
    (&["校长"], &["校长"]),
    (&["主编", "总编"], &["主编", "总编"]),
    (&["主席"], &["主席"]),
    (&["秘书长"], &["秘书长"]),
    (&["董事长"], &["董事长"]),
    (&["总裁"], &["总裁"]),
    (&["总经理"], &["总经理"]),
    (&["创始人", "创办人"], &["创始人", "创办"]),
    (&["负责人"], &["负责人"]),
    (&["主持", "主持人"], &["主持"]),
    (&["部长"], &["部长"]),
    (&["市长"], &["市长"]),
    (&["理事长"], &["理事长"]),
    (&["会长"], &["会长"]),
    (&["主任"], &["主任"]),
    (&["发言人"], &["发言人"]),
    (&["评委", "评审委员会", "评委会"], &["评委", "评审"]),
    (&["出席"], &["出席"]),
    (&["牵头"], &["牵头"]),
    (&["任职"], &["任职", "曾任", "历任", "担任"]),
    // places
    (&["总部"], &["总部"]),
    (
        &["出生地", "出生在", "老家", "家乡"],
        &["出生", "生于", "老家", "家乡", "籍贯", "人士"],
    ),
    (&["地址", "门牌"], &["地址", "路", "号", "街", "道", "区"]),
    (&["会场", "会议室"], &["会场", "会议室", "厅"]),
    // measures and figures
    (&["面积"], &["面积", "平方米", "平米", "亩", "公顷"]),
    (&["尺寸", "英寸"], &["尺寸", "英寸", "厘米", "毫米"]),
    (
        &["重量", "体重"],
        &["重量", "体重", "克", "公斤", "斤", "吨"],
    ),
    (&["身高"], &["身高", "米"]),
    (&["时延", "延迟"], &["时延", "延迟", "毫秒"]),
    (&["分辨率"], &["分辨率"]),
    (&["像素"], &["像素"]),
    (&["续航"], &["续航"]),
    (&["功耗"], &["功耗", "瓦"]),
    (&["带宽"], &["带宽"]),
    (&["网速", "速率"], &["网速", "速率", "gbps", "mbps"]),
    (&["预算"], &["预算"]),
    (&["营收", "营业额"], &["营收", "营业额", "收入"]),
    (&["利润"], &["利润"]),
    (&["市值"], &["市值"]),
    (&["身价", "资产", "财富"], &["身价", "资产", "财富"]),
    (&["股价"], &["股价"]),
    (&["销量"], &["销量"]),
    (&["人口"], &["人口"]),
    (&["工资", "薪水", "年薪"], &["工资", "薪水", "年薪", "薪"]),
    (&["奖金"], &["奖金"]),
    (&["出场费"], &["出场费"]),
    (&["份额"], &["份额", "占比", "%"]),
    (&["百分点"], &["百分点", "%", "百分之"]),
    (&["排名", "名次", "排第"], &["排名", "名次", "第"]),
    (&["学历", "毕业"], &["学历", "毕业"]),
    (&["生日"], &["生日", "出生"]),
    (&["门票", "票价"], &["门票", "票价", "免费", "元"]),
    (&["营业时间", "开放时间"], &["开放", "营业"]),
    (&["工人", "员工", "职工"], &["工人", "员工", "职工", "人"]),
    (&["注册用户"], &["用户"]),
    (&["藏品", "文物"], &["藏品", "文物"]),
    (&["参展"], &["参展"]),
    (&["报名"], &["报名"]),
    (&["评选标准", "评审标准"], &["标准"]),
    // makers, make-up and launch
    (&["牌子"], &["牌子", "品牌"]),
    (&["厂商", "厂家", "生产商", "制造商", "供应商"], MAKING),
    (&["型号"], &["型号"]),
    (&["芯片"], &["芯片"]),
    (&["模型"], &["模型"]),
    (&["操作系统"], &["操作系统", "系统"]),
    (&["成分"], &["成分"]),
    (&["原理"], &["原理"]),
    (&["英文名"], LATIN_LETTERS),
    (&["官网", "网址"], &["官网", "网址", "http", "www"]),
    (&["主办"], &["主办"]),
    (&["承办"], &["承办"]),
    (&["赞助"], &["赞助"]),
    (&["出版社"], &["出版社"]),
    (&["航空公司"], &["航空公司"]),
    (&["快递公司"], &["快递公司"]),
    (&["运营商"], &["运营商"]),
    (
        &["部门"],
        &[
            "部门",
            "部",
            "局",
            "署",
            "委",
            "厅",
            "办公室",
            "处",
            "中心",
            "组",
        ],
    ),
    (
        &["业务"],
        &["业务", "经营", "从事", "主营", "提供", "生产", "销售"],
    ),
    (&["上线"], &["上线"]),
    (&["商用"], &["商用"]),
    (
        &["上市", "开售", "发售"],
        &["上市", "开售", "发售", "售价", "销售"],
    ),
];

/// English attribute words (whole words, English questions only).
const ENGLISH: &[(&[&str], &[&str])] = &[
    (&["born", "birthplace"], &["出生", "老家", "家乡"]),
    (&["headquarters", "headquartered", "hq"], &["总部"]),
    (&["dean"], &["院长"]),
    (&["chairman", "chairwoman"], &["董事长", "主席"]),
    (&["founder", "founded"], &["创始人", "创办", "创立", "成立"]),
    (&["budget"], &["预算"]),
    (&["net worth"], &["身价", "资产", "财富"]),
    (&["salary"], &["工资", "薪"]),
    (&["revenue"], &["营收", "收入"]),
    (&["population"], &["人口"]),
    (&["brand"], &["品牌", "牌子"]),
    (&["manufacturer", "manufactured", "manufactures"], MAKING),
    (&["chip", "chips"], &["芯片"]),
    (&["nationality"], NATIONS),
    (&["screen size"], &["英寸", "尺寸"]),
    (&["latency"], &["时延", "毫秒"]),
    (&["ticket", "tickets"], &["门票", "票价"]),
    (&["opening hours"], &["开放"]),
    (&["keynote"], &["主旨演讲"]),
    (&["on sale"], &["上市", "发售", "开售"]),
    (&["graduate", "graduated"], &["毕业"]),
    (&["market share"], &["份额"]),
    (&["operator", "operators"], &["运营商"]),
    (&["hospitals"], &["医院"]),
    (&["universities"], &["大学", "学院"]),
    (&["moderated", "chaired"], &["主持"]),
    (&["judging panel", "jury", "judges"], &["评委", "评审"]),
    (
        &["in english", "english version", "english edition"],
        &["英文", "英语"],
    ),
];

/// Whether the question narrows what it asks to `place` ("浙江有几家", "中国能占多少"):
/// the place stands next to a question word. A place that is only part of
/// the topic (日本在…突破有限，但从哪国…) is not checked, nor one whose parts are
/// asked for (美国的哪一州, 中国哪些城市): the answer names the part, not always the whole.
fn narrows_to(folded: &str, place: &str) -> bool {
    folded.match_indices(place).any(|(at, _)| {
        let after = &folded[at + place.len()..];
        let after = after.strip_prefix('的').unwrap_or(after);
        let asks_part = after.strip_prefix('哪').is_some_and(|rest| {
            let rest = rest.trim_start_matches(['一', '个', '些', '座']);
            ["州", "省", "市", "县", "城", "地区", "区"]
                .iter()
                .any(|part| rest.starts_with(part))
        });
        !asks_part && names_attribute(folded, place)
    })
}

/// Provinces, large cities and countries: a question narrowed to one of them
/// ("421家示范工厂里浙江有几家") is not answered by a passage that never names it.
const PLACES: &[&str] = &[
    "北京",
    "上海",
    "天津",
    "重庆",
    "河北",
    "山西",
    "辽宁",
    "吉林",
    "黑龙江",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "海南",
    "四川",
    "贵州",
    "云南",
    "陕西",
    "甘肃",
    "青海",
    "台湾",
    "内蒙古",
    "广西",
    "西藏",
    "宁夏",
    "新疆",
    "香港",
    "澳门",
    "深圳",
    "广州",
    "杭州",
    "南京",
    "苏州",
    "武汉",
    "成都",
    "西安",
    "合肥",
    "嘉兴",
    "湖州",
    "宁波",
    "温州",
    "美国",
    "日本",
    "韩国",
    "德国",
    "法国",
    "英国",
    "俄罗斯",
    "印度",
    "欧洲",
    "非洲",
    "美洲",
    "亚洲",
    "瑞典",
    "新加坡",
    "中东",
    "东南亚",
];

const NATIONALITY: &[&str] = &["哪国人", "哪个国家的人", "哪国的人", "国籍"];

/// Words of a passage that gives a nationality: a country or the word itself.
const NATIONS: &[&str] = &[
    "国籍",
    "国人",
    "籍",
    "来自",
    "中国",
    "美国",
    "英国",
    "法国",
    "德国",
    "意大利",
    "西班牙",
    "葡萄牙",
    "荷兰",
    "比利时",
    "瑞士",
    "奥地利",
    "瑞典",
    "挪威",
    "丹麦",
    "芬兰",
    "冰岛",
    "爱尔兰",
    "波兰",
    "捷克",
    "匈牙利",
    "希腊",
    "俄罗斯",
    "乌克兰",
    "土耳其",
    "以色列",
    "埃及",
    "南非",
    "日本",
    "韩国",
    "朝鲜",
    "印度",
    "越南",
    "泰国",
    "新加坡",
    "马来西亚",
    "印尼",
    "印度尼西亚",
    "菲律宾",
    "澳大利亚",
    "新西兰",
    "加拿大",
    "墨西哥",
    "巴西",
    "阿根廷",
    "智利",
    "秘鲁",
    "哥伦比亚",
    "克罗地亚",
    "塞尔维亚",
    "罗马尼亚",
];

/// Any Latin letter: a passage giving an English name has some.
const LATIN_LETTERS: &[&str] = &[
    "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q", "r", "s",
    "t", "u", "v", "w", "x", "y", "z",
];

/// Words of a passage that says who made or developed something.
const MAKING: &[&str] = &[
    "研发", "开发", "生产", "制造", "打造", "推出", "出品", "联手", "合作", "研制", "设计", "自主",
];

/// Words of a passage that says where something is: a verb of place or the
/// ending of a place's or an institution's name.
const LOCATED: &[&str] = &[
    "位于", "设在", "坐落", "地处", "总部", "落户", "市", "省", "区", "县", "州", "城", "镇", "村",
    "岛", "路", "街", "大学", "学院",
];

/// Which company made it: 哪家 (公司) 做/造/生产/研发 …, 是哪家公司的产品.
fn asks_maker(folded: &str) -> bool {
    const VERBS: &[&str] = &[
        "做",
        "造",
        "生产",
        "制造",
        "开发",
        "研发",
        "研制",
        "设计",
        "推出",
        "出品",
        "打造",
        "的产品",
    ];
    folded.match_indices('哪').any(|(at, _)| {
        let rest: String = folded[at + '哪'.len_utf8()..].chars().take(8).collect();
        let firm = ["家", "个公司", "个企业", "个厂"]
            .iter()
            .any(|w| rest.strip_prefix('一').unwrap_or(&rest).starts_with(w));
        firm && VERBS.iter().any(|v| rest.contains(v))
    })
}

/// Where an organisation is: 位于哪, 设在哪, 在哪个城市.
fn asks_location(folded: &str) -> bool {
    ["位于", "设在", "坐落", "总部在", "地处"]
        .iter()
        .any(|verb| {
            folded.match_indices(verb).any(|(at, _)| {
                let rest = &folded[at + verb.len()..];
                rest.starts_with('哪') || rest.starts_with("什么地方") || rest.starts_with("何处")
            })
        })
        || ["在哪个城市", "在哪座城市", "在哪个地方"]
            .iter()
            .any(|w| folded.contains(w))
}

const DURATION: &[&str] = &[
    "多长时间",
    "多久",
    "几年",
    "多少年",
    "几个月",
    "多少个月",
    "几个小时",
    "多少小时",
    "几天",
    "多少天",
    "几周",
    "多少分钟",
];

/// Whether `passage` (folded) states a length of time: a number of years,
/// months, weeks, days, hours or minutes (a year such as 2024年 is a date,
/// not a length).
fn states_duration(passage: &str) -> bool {
    const UNITS: &[&str] = &["年", "个月", "周", "天", "小时", "分钟"];
    // 几年, 数年, 多年 are lengths too
    let numeral = |c: char| is_numeral(c) || "几数多".contains(c);
    UNITS.iter().any(|unit| {
        passage.match_indices(unit).any(|(at, _)| {
            let digits: String = passage[..at]
                .chars()
                .rev()
                .take_while(|&c| numeral(c))
                .collect();
            let is_year = digits.len() == 4 && digits.chars().all(|c| c.is_ascii_digit());
            !(digits.is_empty() || is_year)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_attribute_must_be_named() {
        let asked = asked_of("中国网络空间研究院的院长是谁");
        assert!(!asked.is_met("蓝皮书由中国网络空间研究院编写"));
        assert!(asked.is_met("中国网络空间研究院院长某某表示"));
        // A deputy's title names no head.
        let head = asked_of("研究中心的主任是谁");
        assert!(!head.is_met("国家高性能计算机工程技术研究中心副主任曹振南"));
        assert!(head.is_met("中心主任某某与副主任曹振南"));
        assert!(asked_of("研究中心的副主任是谁").is_met("研究中心副主任曹振南"));
        assert!(asked_of("曹主任期待的是什么").is_met("研究中心副主任曹振南表示"));
        assert_eq!(asked_of("蓝皮书由哪个机构编写"), Asked::default());
    }

    #[test]
    fn places_makers_and_lengths_of_time() {
        assert!(!asked_of("421家示范工厂里浙江有几家").is_met("已培育421家国家级智能制造示范工厂"));
        assert!(!asked_of("人形机器人是哪家公司造的").is_met("人形机器人生动模拟着人类的各种表情"));
        assert!(asked_of("眼镜是哪家公司研发的").is_met("复旦大学与某公司联手，自主研发"));
        let how_long = asked_of("研发花了多长时间");
        assert!(!how_long.is_met("2024年，从1000多万种配方中筛选"));
        assert!(how_long.is_met("历时3年研发"));
    }

    #[test]
    fn english_attributes_are_whole_words() {
        assert!(!asked_of("where was lei jun born").is_met("小米集团创始人雷军说"));
        // A possessive names whom it is about; asking who that is asks for it.
        assert_eq!(
            asked_of("how many formulas did xiaomi's founder say were screened?"),
            Asked::default()
        );
        assert_eq!(asked_of("who is xiaomi's founder?").groups.len(), 1);
        assert_eq!(asked_of("what was born in the forum").groups.len(), 1);
        assert_eq!(asked_of("stubborn questions").groups.len(), 0);
    }

    #[test]
    fn only_what_is_asked_for_counts() {
        // an attribute mentioned in passing, a place that is part of the topic
        assert_eq!(
            asked_of("成分中有地瓜粉的马祖甜点又可以被称为？"),
            Asked::default()
        );
        assert_eq!(
            asked_of("日本在喷射发动机突破有限，但从哪国得到很多技术支援"),
            Asked::default()
        );
        // a part of a place is asked for: the answer names the part
        assert_eq!(asked_of("博物馆位于美国的哪一州"), Asked::default());
        // how long ago is answered by a date as well
        assert!(!asked_of("易洛魁族在多久前就住在多伦多了").duration);
        assert!(!asked_of("伊尔库茨克州是在西元几年有了州旗").duration);
        assert!(!asked_of("峰会是哪几天举办的").duration);
        assert!(asked_of("他在爱立信工作了几年").duration);
    }

    #[test]
    fn a_sub_forum_is_no_venue() {
        assert_eq!(asked_of("分会场上大家说了啥"), Asked::default());
        assert_eq!(asked_of("在哪个会场开的").groups.len(), 1);
    }
}
