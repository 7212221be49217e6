//! YAML front end: `saphyr-parser` events (with spans) into the [`Builder`].

use std::borrow::Cow;

use saphyr_parser::{Event, Marker, Parser, ScalarStyle, Tag};

use super::build::{Builder, Built, Fail};
use super::positions::Pos;
use super::resolve::{resolve_non_str, resolve_tagged, CoreTag, Scalar};
use super::Limits;

pub(crate) fn pos_of(m: &Marker) -> Pos {
    Pos {
        line: u32::try_from(m.line()).unwrap_or(u32::MAX),
        column: u32::try_from(m.col().saturating_add(1)).unwrap_or(u32::MAX),
    }
}

fn core_tag(t: &Tag) -> CoreTag {
    if t.handle == "tag:yaml.org,2002:" {
        CoreTag::from_full(&format!("{}{}", t.handle, t.suffix))
    } else if t.handle.is_empty() {
        CoreTag::from_full(&t.suffix)
    } else {
        CoreTag::Other
    }
}

fn scalar_of(
    text: Cow<'_, str>,
    style: ScalarStyle,
    tag: Option<&Tag>,
    pos: Pos,
) -> Result<Scalar, Fail> {
    match tag {
        None if style == ScalarStyle::Plain => {
            Ok(resolve_non_str(&text).unwrap_or_else(|| Scalar::Str(text.into_owned())))
        }
        None => Ok(Scalar::Str(text.into_owned())),
        Some(t) => resolve_tagged(core_tag(t), &text).map_err(|msg| Fail { pos, msg }),
    }
}

/// The parser's message, in plainer words where a common mistake is behind it.
fn syntax_message(info: &str) -> String {
    if info.contains("tabs disallowed") {
        "invalid YAML: a tab character is used for indentation (YAML indents with spaces only)"
            .to_string()
    } else if info.contains("unknown anchor") {
        "invalid YAML: an alias refers to an anchor that is not defined earlier in this document"
            .to_string()
    } else {
        format!("invalid YAML: {info}")
    }
}

/// Parse one slice of the file (normally one `---` section) and hand every
/// document it holds to `sink`. Stops at the first error, which is handed to
/// `sink` too: the caller resynchronises at the next slice.
pub(crate) fn load_yaml(
    text: &str,
    line_offset: u32,
    limits: &Limits,
    sink: &mut dyn FnMut(Result<Built, Fail>) -> bool,
) {
    let mut parser = Parser::new_from_str(text);
    let mut b = Builder::new(limits, line_offset);
    loop {
        let (event, span) = match parser.next_event() {
            None => return,
            Some(Ok(ev)) => ev,
            Some(Err(e)) => {
                sink(Err(Fail {
                    pos: pos_of(e.marker()),
                    msg: syntax_message(e.info()),
                }));
                return;
            }
        };
        let pos = pos_of(&span.start);
        let step = match event {
            Event::StreamEnd => return,
            Event::Nothing | Event::StreamStart => Ok(()),
            Event::DocumentStart(_) => {
                b.reset();
                Ok(())
            }
            Event::DocumentEnd => match b.finish() {
                Ok(None) => Ok(()),
                Ok(Some(built)) => {
                    if !sink(Ok(built)) {
                        return;
                    }
                    b.reset();
                    Ok(())
                }
                Err(f) => Err(f),
            },
            Event::Scalar(text, style, anchor, tag) => {
                // go-yaml v2's isMerge: `<<` plain and untagged, or tagged
                // `!!merge` whatever its style (`!!merge "<<"` merges).
                let merge_key = text == "<<"
                    && match tag.as_deref() {
                        None => style == ScalarStyle::Plain,
                        Some(t) => core_tag(t) == CoreTag::Merge,
                    };
                match scalar_of(text, style, tag.as_deref(), pos) {
                    Ok(s) => b.scalar(s, pos, anchor, merge_key),
                    Err(f) => Err(f),
                }
            }
            Event::SequenceStart(anchor, _) => b.start(false, pos, anchor),
            Event::MappingStart(anchor, _) => b.start(true, pos, anchor),
            Event::SequenceEnd | Event::MappingEnd => b.end(pos),
            Event::Alias(id) => b.alias(id, pos),
        };
        if let Err(f) = step {
            sink(Err(f));
            return;
        }
    }
}
