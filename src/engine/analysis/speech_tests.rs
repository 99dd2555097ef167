//! Chinese sentiment over segmented words, spoken (unpunctuated) lines in both languages, and keyword rules that
//! still match where the segmenter cuts across a rule word.

use super::zh_dict::{ZH, ZhKind};
use super::zh_seg::{SegScratch, segment};
use super::*;
use crate::engine::sim::scenario::RuleSpec;
use crate::model::{RuleAction, Severity};

use super::tests::{en, zh};

/// The words of a segmented line, with their kind when it is not a plain word: "不[neg]", "满意(2)".
fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    segment(&ZH, text, &mut SegScratch::default(), &mut out);
    out.iter()
        .map(|t| {
            let w = &text[t.start as usize..t.end as usize];
            match t.kind {
                ZhKind::Word(v) if v != 0.0 => format!("{w}({v})"),
                ZhKind::Neg | ZhKind::NegWord => format!("{w}[neg]"),
                ZhKind::Int(_) => format!("{w}[int]"),
                ZhKind::But => format!("{w}[but]"),
                ZhKind::Conj => format!("{w}[conj]"),
                ZhKind::Filler => format!("{w}[filler]"),
                ZhKind::Break => format!("{w}[break]"),
                ZhKind::Word(_) | ZhKind::Plain => w.to_string(),
            }
        })
        .collect()
}

fn has(words: &[String], w: &str) -> bool {
    words.iter().any(|x| x == w || x.starts_with(&format!("{w}(")) || x.starts_with(&format!("{w}[")))
}

#[test]
fn the_segmenter_cuts_whole_words_and_covers_the_line() {
    for line in ["我对这次的服务很满意，谢谢你们", "物流太慢了但是客服态度不错", "abc 123 我想问一下"]
    {
        let mut out = Vec::new();
        segment(&ZH, line, &mut SegScratch::default(), &mut out);
        let joined: String = out.iter().map(|t| &line[t.start as usize..t.end as usize]).collect();
        assert_eq!(joined, line, "the tokens cover the line in order");
    }
    // A sentiment character inside an ordinary word is not read as that word: 好 in 好像, 只好; 差 in 差不多.
    let w = words("他好像只好差不多这样");
    assert!(w.iter().all(|x| !x.contains('(')), "no sentiment word in {w:?}");
    assert!(zh("他好像只好差不多这样").abs() <= 0.15, "and the line is about neutral");
    // Whole words, not characters: 满意 in 不满意 is the negative word, 客服 stays one word.
    let w = words("我对服务很不满意");
    assert!(has(&w, "服务") && has(&w, "很") && has(&w, "不满意"), "{w:?}");
    // Modifiers, contrast and fillers are tagged.
    let w = words("嗯那个服务还行但是物流太慢");
    assert!(w.contains(&"嗯[filler]".to_string()) && w.contains(&"那个[filler]".to_string()), "{w:?}");
    assert!(w.contains(&"但是[but]".to_string()), "{w:?}");
}

#[test]
fn negation_reaches_a_sentiment_word_over_words_within_its_clause() {
    assert!(zh("满意") > 0.0);
    assert!(zh("不满意") < 0.0);
    assert!(zh("我没有很满意") < 0.0, "negator, degree word, word");
    assert!(zh("服务并不让人满意") < 0.0, "two words between 并不 and 满意");
    assert!(zh("我真的没有觉得满意") < 0.0);
    // Beyond the reach (3 words) or in another clause the negator does not flip the word.
    assert!(zh("没有这回事情的话满意") > 0.0);
    assert!(zh("不是我说你们服务真的很满意") > 0.0);
    assert!(zh("东西没收到而且客服很热情") > 0.0, "而且 starts a new clause");
    // Double negation gives the word back, weaker.
    assert!(zh("不是不好") > 0.0, "不是不好 scored {}", zh("不是不好"));
    assert!(zh("没有不满意的地方") > 0.0);
    assert!(zh("不是不满意") < zh("满意"));
    // A word repeated by the speaker counts once: "不不" is one negator, not a double negation.
    assert!(zh("我不不满意") > 0.0 || zh("我不不满意") == zh("我不满意"));
    assert!(zh("我对这个不不不满意") > 0.0 || zh("我对这个不不不满意") == zh("我对这个不满意"));
    // A rhetorical question affirms: "isn't this a joke?" is a complaint, "isn't that great?" praise.
    assert!(zh("这不是耍人吗") < 0.0);
    assert!(zh("这不是挺好的吗") > 0.0);
    assert!(zh("这不是挺好的") < 0.0, "without 吗 it negates");
    // A negator that reaches no sentiment word is a complaint in a customer's mouth.
    assert!(zh("快递到现在都没收到") < 0.0);
    assert!(zh("这个功能根本不能用") < 0.0);
}

#[test]
fn degree_words_strengthen_over_words_and_weaken_after_a_negator() {
    assert!(zh("非常满意") > zh("满意"));
    assert!(zh("我非常对这次满意") > zh("我对这次满意"), "a degree word reaches over words");
    assert!(zh("真的非常满意") > zh("非常满意"), "stacked degree words add up");
    assert!(zh("有点生气") > zh("生气") && zh("有点生气") < 0.0, "a dampener weakens");
    assert!(zh("太失望了") < zh("失望"));
    // 不很耐心 is "not very patient": milder than 不耐心, still negative; 很不耐心 is stronger than 不耐心.
    let (not_very, not, very_not) = (zh("他不很耐心"), zh("他不耐心"), zh("他很不耐心"));
    assert!(not_very < 0.0 && not_very > not, "不很耐心 {not_very}, 不耐心 {not}");
    assert!(very_not < not, "很不耐心 {very_not}, 不耐心 {not}");
}

#[test]
fn phrases_a_segmenter_would_split_keep_their_meaning() {
    assert!(zh("不错") > 0.0);
    assert!(zh("还不错") > 0.0);
    assert!(zh("没问题") > 0.0);
    assert!(zh("没事没事") > 0.0);
    assert!(zh("太慢了") < 0.0);
    assert!(zh("速度太慢") < 0.0);
    assert!(zh("不好意思") < 0.0 && zh("不好意思") > zh("不好"), "an apology, not 'not good'");
    assert!(zh("不客气") > 0.0);
}

#[test]
fn unpunctuated_spoken_chinese_splits_clauses_at_contrast_words_and_conjunctions() {
    // ASR output: no punctuation, fillers, run-on clauses.
    assert!(zh("嗯那个我觉得你们服务还行吧但是物流太慢了") < 0.0, "the clause after 但是 weighs more");
    assert!(zh("等了很久呃不过问题总算解决了谢谢") > 0.0);
    assert!(zh("就是那个我等了半个小时都没人接然后还把我电话挂了") < 0.0);
    assert!(zh("嗯嗯好的好的非常感谢") > 0.0);
    // The negator before 而且 does not reach the praise after it.
    assert!(zh("我没打通而且你们客服很耐心") > zh("我没打通而且你们客服不耐心"));
    // Fillers between a modifier and its word are skipped: 不 reaches 满意 across 嗯 那个.
    assert!(zh("我不嗯那个满意") < 0.0);
    assert_eq!(zh("嗯嗯啊那个"), 0.0, "fillers alone say nothing");
    // A recogniser's homophone of 投诉 is still a complaint.
    assert!(zh("我要投素你们") < 0.0 && zh("我要投素你们") == zh("我要投诉你们"));
    // A contrast word without punctuation still weights the clause after it.
    assert!(zh("价格便宜但是质量很差") < 0.0);
    assert!(zh("质量很差但是价格便宜") > zh("价格便宜但是质量很差"));
}

#[test]
fn a_line_without_a_sentiment_word_leans_by_the_fallback_model() {
    // Neutral words give nothing or a small lean, never a strong score.
    for line in ["我想预约周一的门诊", "请问几点开门", "帮我查一下订单"] {
        assert!(zh(line).abs() <= 0.15, "{line:?} scored {}", zh(line));
    }
    // A calm question or statement reads calm: its common characters do not add up to a lean.
    for line in ["明天下午有号吗？", "我想改一下收货地址", "我的订单号是12345", "请问流感疫苗还能打吗？"]
    {
        assert_eq!(zh(line), 0.0, "{line:?} leaned to {}", zh(line));
    }
    // Characters of known negative words in an unknown combination lean negative, and of positive ones positive.
    for (line, sign) in [("屏幕碎裂", -1.0), ("优美动听", 1.0)] {
        let w = words(line);
        assert!(w.iter().all(|x| !x.contains('(')), "{line:?} must have no lexicon word: {w:?}");
        let s = zh(line);
        assert!(s * sign > 0.0 && s.abs() <= 0.15, "{line:?} scored {s}");
    }
}

#[test]
fn unpunctuated_spoken_english_ignores_fillers() {
    // "like" as a filler is not praise; "like" as a verb still is.
    assert!(en("it was like um broken when it came") < 0.0);
    assert_eq!(en("so like the parcel is like at the depot"), 0.0);
    assert!(en("i like the new app") > 0.0);
    assert!(en("i don't like it") < 0.0);
    // um/uh between a negator or booster and its word do not break the link.
    assert!(en("it is not um uh good") < 0.0);
    assert!(en("it is very uh helpful") > en("it is helpful"));
    // "you know" and "I mean" say nothing; "well" opening a clause is not "well".
    assert_eq!(en("well you know i mean the order is from monday"), 0.0);
    assert!(en("well done thank you") > 0.0);
    // Run-on speech: the clause after "but" weighs more.
    assert!(en("the agent was nice um but the refund is still not here and i am really angry") < 0.0);
    assert!(en("i waited forever uh but you fixed it thank you so much") > 0.0);
}

fn rule(id: &str, words: &[&str], action: RuleAction) -> RuleSpec {
    RuleSpec {
        id: id.to_string(),
        words: words.iter().map(|w| w.to_string()).collect(),
        lang: None,
        actions: vec![action],
        severity: Severity::Warning,
        urgent: false,
        risk: false,
        ticket_category: None,
        ticket_priority: None,
        requires_verification: false,
        card: None,
    }
}

#[test]
fn keyword_rules_match_the_raw_text_even_where_the_segmenter_cuts_across_them() {
    let a = Analyzer::new(&[
        rule("urgent", &["胸痛", "昏迷", "chest pain"], RuleAction::Priority),
        rule("risk", &["转账", "密码修改"], RuleAction::Alert),
    ]);
    let found = |text: &str| -> Vec<String> {
        a.analyze(text).hits.iter().map(|h| format!("{}:{}", a.rules()[h.rule].id, h.word)).collect()
    };
    // The segmenter cuts these lines across the rule word (心胸/痛-style cuts, 转/账户); the rules do not care.
    for (line, want) in [
        ("我心胸痛得厉害", "urgent:胸痛"),
        ("老人突然昏迷不醒了", "urgent:昏迷"),
        ("他要我转账户里的钱", "risk:转账"),
        ("有人让我转账嗯那个说是密码修改", "risk:转账"),
        ("嗯那个我爸他胸痛", "urgent:胸痛"),
        ("um my dad has like chest pain", "urgent:chest pain"),
    ] {
        assert!(found(line).contains(&want.to_string()), "{line:?}: {:?}", found(line));
    }
    let w = words("他要我转账户里的钱");
    assert!(!has(&w, "转账"), "the segmenter does cut across 转账 here: {w:?}");
    // Sentiment of such a line is still scored over its words.
    assert!(a.analyze("我心胸痛得厉害非常难受").sentiment < 0.0);
}
