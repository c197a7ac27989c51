use std::collections::BTreeMap;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::{Detector, Error, Result};

/// The configuration of a detector type: a serde struct whose `Default` is the documented
/// default, and which builds the detector.
///
/// ```
/// use avqc::{DetectorConfig, detect::video::FreezeConfig};
/// let c: FreezeConfig = serde_json::from_str(r#"{"min_duration": 1.0}"#).unwrap();
/// let d = c.build("freeze").unwrap();
/// assert_eq!(d.name(), "freeze");
/// ```
pub trait DetectorConfig: DeserializeOwned + Default + Send + Sync + 'static {
    /// The `type` name in config files, e.g. `"freeze"`; also the default detector name.
    const TYPE: &'static str;
    /// Checks the values and builds a detector named `name`.
    fn build(&self, name: &str) -> Result<Box<dyn Detector>>;
}

type BuildFn = Arc<dyn Fn(Value, &str) -> Result<Box<dyn Detector>> + Send + Sync>;

struct Entry {
    build: BuildFn,
    on_by_default: bool,
}

/// The built-in detector types and whether `monitor` runs them when no set is named:
/// `(type, on by default)`.
pub const BUILTIN_DEFAULTS: &[(&str, bool)] = &[
    ("freeze", true),
    ("black", true),
    ("decode_errors", false),
    ("corruption", true),
    ("blockiness", false),
    ("silence", true),
    ("clipping", true),
    ("loudness", true),
    ("click", true),
    ("channels", true),
    ("hum", true),
    ("frame_drop", true),
    ("stutter", true),
    ("video_loss", true),
    ("format_change", true),
    ("out_of_range", true),
    ("letterbox", false),
    ("sync", true),
    ("transport", true),
];

/// Builds detectors by type name from JSON config, like a plugin registry: the built-ins are
/// registered by [`Registry::builtin`], a host adds its own with [`Registry::register`] or
/// [`Registry::register_fn`].
///
/// A detector set is a JSON array of objects with a `type`, an optional `name` (default: the
/// type) and the type's config fields; unknown fields are errors.
///
/// ```
/// let reg = avqc::Registry::builtin();
/// let set = reg.build_json(r#"[{"type":"freeze","min_duration":1.0},{"type":"silence","name":"quiet"}]"#).unwrap();
/// assert_eq!(set[1].name(), "quiet");
/// assert!(reg.build_json(r#"[{"type":"freeze","min_durration":1.0}]"#).is_err());
/// ```
pub struct Registry {
    entries: BTreeMap<String, Entry>,
    order: Vec<String>,
}

impl Registry {
    /// An empty registry.
    pub fn empty() -> Self {
        Registry {
            entries: BTreeMap::new(),
            order: Vec::new(),
        }
    }

    /// A registry with every built-in detector.
    pub fn builtin() -> Self {
        use crate::detect::{audio, video};
        let mut r = Self::empty();
        let on = |t: &str| BUILTIN_DEFAULTS.iter().any(|&(n, d)| n == t && d);
        r.register::<video::FreezeConfig>(on(video::FreezeConfig::TYPE));
        r.register::<video::BlackConfig>(on(video::BlackConfig::TYPE));
        r.register::<video::DecodeErrorsConfig>(on(video::DecodeErrorsConfig::TYPE));
        r.register::<video::CorruptionConfig>(on(video::CorruptionConfig::TYPE));
        r.register::<video::BlockinessConfig>(on(video::BlockinessConfig::TYPE));
        r.register::<audio::SilenceConfig>(on(audio::SilenceConfig::TYPE));
        r.register::<audio::ClippingConfig>(on(audio::ClippingConfig::TYPE));
        r.register::<audio::LoudnessConfig>(on(audio::LoudnessConfig::TYPE));
        r.register::<audio::ChannelsConfig>(on(audio::ChannelsConfig::TYPE));
        r.register::<audio::HumConfig>(on(audio::HumConfig::TYPE));
        r.register::<audio::ClickConfig>(on(audio::ClickConfig::TYPE));
        r.register::<video::FrameDropConfig>(on(video::FrameDropConfig::TYPE));
        r.register::<video::StutterConfig>(on(video::StutterConfig::TYPE));
        r.register::<video::VideoLossConfig>(on(video::VideoLossConfig::TYPE));
        r.register::<video::FormatChangeConfig>(on(video::FormatChangeConfig::TYPE));
        r.register::<video::OutOfRangeConfig>(on(video::OutOfRangeConfig::TYPE));
        r.register::<video::LetterboxConfig>(on(video::LetterboxConfig::TYPE));
        r.register::<crate::detect::SyncConfig>(on(crate::detect::SyncConfig::TYPE));
        r.register::<crate::detect::TransportConfig>(on(crate::detect::TransportConfig::TYPE));
        r
    }

    /// Registers a config type.
    pub fn register<C: DetectorConfig>(&mut self, on_by_default: bool) -> &mut Self {
        self.register_fn(C::TYPE, on_by_default, |v, name| {
            let cfg: C = if v.as_object().is_some_and(|o| o.is_empty()) {
                C::default()
            } else {
                serde_json::from_value(v)
                    .map_err(|e| Error::config(format!("{} detector", C::TYPE), e.to_string()))?
            };
            cfg.build(name)
        })
    }

    /// Registers a builder function for `type_name`; it receives the config object without its
    /// `type` and `name` keys, and the detector's name.
    pub fn register_fn<F>(&mut self, type_name: &str, on_by_default: bool, f: F) -> &mut Self
    where
        F: Fn(Value, &str) -> Result<Box<dyn Detector>> + Send + Sync + 'static,
    {
        if !self.entries.contains_key(type_name) {
            self.order.push(type_name.to_string());
        }
        self.entries.insert(
            type_name.to_string(),
            Entry {
                build: Arc::new(f),
                on_by_default,
            },
        );
        self
    }

    /// The registered type names, in registration order.
    pub fn types(&self) -> impl Iterator<Item = &str> + '_ {
        self.order.iter().map(String::as_str)
    }

    /// Builds one detector from a config object (`{"type": "...", ...}`).
    pub fn build_value(&self, v: Value) -> Result<Box<dyn Detector>> {
        let Value::Object(mut obj) = v else {
            return Err(Error::config(
                "detector set",
                "each detector must be a JSON object with a \"type\"",
            ));
        };
        let ty = match obj.remove("type") {
            Some(Value::String(s)) => s,
            _ => {
                return Err(Error::config(
                    "detector set",
                    "a detector has no \"type\" string",
                ))
            }
        };
        let name = match obj.remove("name") {
            None => ty.clone(),
            Some(Value::String(s)) if !s.is_empty() => s,
            Some(_) => {
                return Err(Error::config(
                    format!("{ty} detector"),
                    "\"name\" must be a non-empty string",
                ))
            }
        };
        self.build_type(&ty, Value::Object(obj), &name)
    }

    fn build_type(&self, ty: &str, cfg: Value, name: &str) -> Result<Box<dyn Detector>> {
        let entry = self.entries.get(ty).ok_or_else(|| {
            Error::config(
                "detector set",
                format!(
                    "unknown detector type `{ty}` (known: {})",
                    self.order.join(", ")
                ),
            )
        })?;
        (entry.build)(cfg, name)
    }

    /// Builds a detector set from JSON: an array of config objects, or an object with a
    /// `"detectors"` array.
    pub fn build_json(&self, json: &str) -> Result<Vec<Box<dyn Detector>>> {
        let v: Value = serde_json::from_str(json)
            .map_err(|e| Error::config("detector set JSON", e.to_string()))?;
        let list = match v {
            Value::Array(a) => a,
            Value::Object(mut o) => match o.remove("detectors") {
                Some(Value::Array(a)) => a,
                _ => {
                    return Err(Error::config(
                        "detector set JSON",
                        "expected an array or {\"detectors\": [...]}",
                    ))
                }
            },
            _ => {
                return Err(Error::config(
                    "detector set JSON",
                    "expected an array or {\"detectors\": [...]}",
                ))
            }
        };
        list.into_iter().map(|v| self.build_value(v)).collect()
    }

    /// Builds detectors of the named types with default configs.
    pub fn build_names<S: AsRef<str>>(&self, names: &[S]) -> Result<Vec<Box<dyn Detector>>> {
        names
            .iter()
            .map(|n| {
                let n = n.as_ref().trim();
                self.build_type(n, Value::Object(Default::default()), n)
            })
            .collect()
    }

    /// Builds every detector that is on by default, with default configs.
    pub fn build_defaults(&self) -> Result<Vec<Box<dyn Detector>>> {
        let names: Vec<&str> = self
            .order
            .iter()
            .filter(|n| self.entries[n.as_str()].on_by_default)
            .map(String::as_str)
            .collect();
        self.build_names(&names)
    }
}

impl Default for Registry {
    fn default() -> Self {
        Self::builtin()
    }
}
