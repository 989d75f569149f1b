//! The language prose is written in: headings, summaries and explanations of
//! the compare report and of `explain`. Names from the policy (layer titles,
//! region names) and from the data are shown as written in either language.
//!
//! One default for every command: `--lang` where a command takes it, else the
//! `YIBAO_LANG` environment variable (`zh` or `en`), else English.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// 中文 (简体).
    Zh,
}

impl Lang {
    /// The environment variable that sets the default for every command.
    pub const ENV: &'static str = "YIBAO_LANG";

    /// `--lang` if given, else [`Lang::ENV`], else English. An unknown value
    /// in the variable is an error, not silently English.
    pub fn resolve(flag: Option<Lang>) -> Result<Lang, String> {
        if let Some(l) = flag {
            return Ok(l);
        }
        match std::env::var(Self::ENV) {
            Ok(v) => Self::parse(&v).ok_or_else(|| {
                format!(
                    "{}={v:?} is not a language yibao writes: use `zh` or `en`",
                    Self::ENV
                )
            }),
            Err(_) => Ok(Lang::En),
        }
    }

    /// `zh`, `zh-CN`, `zh_CN.UTF-8`, `中文` are Chinese; `en…` English.
    pub fn parse(s: &str) -> Option<Lang> {
        let s = s.trim();
        let lower = s.to_ascii_lowercase();
        if lower.starts_with("zh") || s == "中文" {
            Some(Lang::Zh)
        } else if lower.starts_with("en") || lower.is_empty() {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// The English or the Chinese of a text.
    pub const fn pick(self, en: &'static str, zh: &'static str) -> &'static str {
        match self {
            Lang::En => en,
            Lang::Zh => zh,
        }
    }

    /// The `lang` attribute of an HTML page.
    pub const fn html(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh-CN",
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_locale_spellings() {
        assert_eq!(Lang::parse("zh"), Some(Lang::Zh));
        assert_eq!(Lang::parse("zh_CN.UTF-8"), Some(Lang::Zh));
        assert_eq!(Lang::parse("中文"), Some(Lang::Zh));
        assert_eq!(Lang::parse("en-GB"), Some(Lang::En));
        assert_eq!(Lang::parse("fr"), None);
        assert_eq!(Lang::resolve(Some(Lang::Zh)), Ok(Lang::Zh));
    }
}
