use std::collections::BTreeMap;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::detect::Detector;

use crate::error::{Error, Result};

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
    /// Whether a [`Registry`] runs this type when no detector set is named
    /// ([`Registry::build_defaults`], `monitor` without `--detectors`). Default `false`: a
    /// detector type joins the default set only when it says so.
    const ON_BY_DEFAULT: bool = false;
    /// Checks the values and builds a detector named `name`.
    fn build(&self, name: &str) -> Result<Box<dyn Detector>>;
}

type BuildFn = Arc<dyn Fn(Value, &str) -> Result<Box<dyn Detector>> + Send + Sync>;

struct Entry {
    build: BuildFn,
    on_by_default: bool,
}

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

    /// Registers a config type, on by default when it says so ([`DetectorConfig::ON_BY_DEFAULT`]).
    pub fn register<C: DetectorConfig>(&mut self) -> &mut Self {
        self.register_fn(C::TYPE, C::ON_BY_DEFAULT, |v, name| {
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

    /// Whether `type_name` is in the default set; `None` when it is not registered.
    ///
    /// ```
    /// let reg = avqc::Registry::builtin();
    /// assert_eq!(reg.on_by_default("freeze"), Some(true));
    /// assert_eq!(reg.on_by_default("letterbox"), Some(false));
    /// assert_eq!(reg.on_by_default("fraeze"), None);
    /// ```
    pub fn on_by_default(&self, type_name: &str) -> Option<bool> {
        self.entries.get(type_name).map(|e| e.on_by_default)
    }

    /// The types in the default set, in registration order.
    pub fn defaults(&self) -> impl Iterator<Item = &str> + '_ {
        self.types().filter(|t| self.entries[*t].on_by_default)
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
        let names: Vec<&str> = self.defaults().collect();
        self.build_names(&names)
    }
}

impl Default for Registry {
    fn default() -> Self {
        Self::builtin()
    }
}
