use std::collections::BTreeMap;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::detect::fork::{BuildFn, Rebuildable};
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

type EffectiveFn = Arc<dyn Fn(Value) -> Result<Value> + Send + Sync>;

struct Entry {
    build: BuildFn,
    on_by_default: bool,
    summary: String,
    effective: Option<EffectiveFn>,
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
            parse_config::<C>(v)?.build(name)
        })
    }

    /// Registers a config type like [`Registry::register`], with a one-line `summary` of what
    /// it reports ([`Registry::summary`]); its effective values can be printed
    /// ([`Registry::effective`]), which needs `Serialize`.
    ///
    /// ```
    /// let mut reg = avqc::Registry::empty();
    /// reg.register_described::<avqc::detect::video::FreezeConfig>("picture frozen");
    /// assert_eq!(reg.summary("freeze"), Some("picture frozen"));
    /// ```
    pub fn register_described<C: DetectorConfig + Serialize>(
        &mut self,
        summary: &str,
    ) -> &mut Self {
        self.register::<C>();
        let entry = self.entries.get_mut(C::TYPE).expect("registered just now");
        entry.summary = summary.to_string();
        entry.effective = Some(Arc::new(|v| {
            let cfg = parse_config::<C>(v)?;
            cfg.build(C::TYPE)?;
            serde_json::to_value(&cfg)
                .map_err(|e| Error::config(format!("{} detector", C::TYPE), e.to_string()))
        }));
        self
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
                summary: String::new(),
                effective: None,
            },
        );
        self
    }

    /// The one-line summary of a type (empty when it was registered without one); `None` when
    /// the type is not registered.
    ///
    /// ```
    /// let reg = avqc::Registry::builtin();
    /// assert!(reg.summary("freeze").is_some_and(|s| !s.is_empty()));
    /// assert_eq!(reg.summary("fraeze"), None);
    /// ```
    pub fn summary(&self, type_name: &str) -> Option<&str> {
        self.entries.get(type_name).map(|e| e.summary.as_str())
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
        let d = (entry.build)(cfg.clone(), name)?;
        Ok(Rebuildable::wrap(d, entry.build.clone(), cfg, name))
    }

    /// Builds a detector set from JSON, in any form [`Registry::set_from_json`] reads.
    pub fn build_json(&self, json: &str) -> Result<Vec<Box<dyn Detector>>> {
        self.build_set(self.set_from_json(json)?)
    }

    /// Reads a detector set from JSON without building it, as config objects (`type`, the
    /// `name` when given, and the fields given). Forms:
    /// - an array of config objects, or `{"detectors": [...]}`: exactly that set;
    /// - `{"tune": {...}}`: the default set with changes, each key a detector name (or a type
    ///   to add): an object sets those fields on top of the defaults, `true` adds the type
    ///   with its defaults, `false` removes it. With `"detectors"` too, the changes apply to
    ///   that set instead of the default one.
    ///
    /// ```
    /// let reg = avqc::Registry::builtin();
    /// let set = reg.set_from_json(r#"{"tune": {"freeze": {"min_duration": 4.0}, "hum": false, "letterbox": true}}"#).unwrap();
    /// assert!(set.iter().any(|c| c["type"] == "freeze" && c["min_duration"] == 4.0));
    /// assert!(set.iter().any(|c| c["type"] == "letterbox"));
    /// assert!(!set.iter().any(|c| c["type"] == "hum"));
    /// assert!(reg.set_from_json(r#"{"tune": {"fraeze": {}}}"#).is_err());
    /// ```
    pub fn set_from_json(&self, json: &str) -> Result<Vec<Value>> {
        let v: Value = serde_json::from_str(json)
            .map_err(|e| Error::config("detector set JSON", e.to_string()))?;
        let shape = || {
            Error::config(
                "detector set JSON",
                "expected an array, {\"detectors\": [...]} or {\"tune\": {...}}",
            )
        };
        match v {
            Value::Array(a) => Ok(a),
            Value::Object(mut o) => {
                if !o.contains_key("detectors") && !o.contains_key("tune") {
                    return Err(shape());
                }
                let set = match o.remove("detectors") {
                    Some(Value::Array(a)) => a,
                    Some(_) => return Err(shape()),
                    None => self.default_set(),
                };
                let set = match o.remove("tune") {
                    Some(Value::Object(t)) => self.tune_set(set, &t)?,
                    Some(_) => return Err(shape()),
                    None => set,
                };
                if let Some(k) = o.keys().next() {
                    return Err(Error::config(
                        "detector set JSON",
                        format!("unknown key `{k}` (expected \"detectors\" or \"tune\")"),
                    ));
                }
                Ok(set)
            }
            _ => Err(shape()),
        }
    }

    /// The default set as config objects (`{"type": ...}` each), in registration order.
    pub fn default_set(&self) -> Vec<Value> {
        self.defaults().map(type_only).collect()
    }

    /// Changes a set of config objects: each key of `tune` names a detector of the set (its
    /// `name`, else its `type`) or a registered type to add; an object value sets those fields,
    /// `true` adds or keeps it, `false` removes it. See [`Registry::set_from_json`].
    pub fn tune_set(&self, mut set: Vec<Value>, tune: &Map<String, Value>) -> Result<Vec<Value>> {
        for (key, change) in tune {
            let at = set
                .iter()
                .position(|c| detector_name(c) == Some(key.as_str()));
            let bad = |why: &str| Error::config(format!("tune `{key}`"), why.to_string());
            match (change, at) {
                (Value::Bool(false), Some(i)) => {
                    set.remove(i);
                }
                (Value::Bool(false), None) | (Value::Bool(true), Some(_)) => {}
                (Value::Bool(true), None) | (Value::Object(_), None) => {
                    if !self.entries.contains_key(key) {
                        return Err(bad(&format!(
                            "no detector or type of that name (known types: {})",
                            self.order.join(", ")
                        )));
                    }
                    let mut c = type_only(key);
                    if let Value::Object(fields) = change {
                        merge(&mut c, fields).map_err(&bad)?;
                    }
                    set.push(c);
                }
                (Value::Object(fields), Some(i)) => merge(&mut set[i], fields).map_err(&bad)?,
                _ => return Err(bad("expected an object of fields, true or false")),
            }
        }
        Ok(set)
    }

    /// Builds a set of config objects (see [`Registry::build_value`]).
    pub fn build_set(&self, set: Vec<Value>) -> Result<Vec<Box<dyn Detector>>> {
        set.into_iter().map(|v| self.build_value(v)).collect()
    }

    /// One config object with every field at its effective value (defaults filled in), its
    /// `type` and `name` first; checked like a build. Types registered without
    /// [`Registry::register_described`] come back as given.
    ///
    /// ```
    /// let reg = avqc::Registry::builtin();
    /// let full = reg.effective(&serde_json::json!({"type": "freeze", "min_duration": 3.0})).unwrap();
    /// assert_eq!(full["name"], "freeze");
    /// assert_eq!(full["min_duration"], 3.0);
    /// assert!(full.as_object().unwrap().len() > 3);
    /// assert!(reg.effective(&serde_json::json!({"type": "freeze", "min_duration": -1})).is_err());
    /// ```
    pub fn effective(&self, v: &Value) -> Result<Value> {
        let mut fields = v.as_object().cloned().ok_or_else(|| {
            Error::config(
                "detector set",
                "each detector must be a JSON object with a \"type\"",
            )
        })?;
        self.build_value(v.clone())?;
        let ty = match fields.remove("type") {
            Some(Value::String(t)) => t,
            _ => unreachable!("build_value checked the type"),
        };
        let name = fields
            .remove("name")
            .unwrap_or_else(|| Value::String(ty.clone()));
        let entry = &self.entries[&ty];
        let values = match &entry.effective {
            Some(f) => f(Value::Object(fields))?,
            None => Value::Object(fields),
        };
        let mut out = Map::new();
        out.insert("type".into(), Value::String(ty));
        out.insert("name".into(), name);
        if let Value::Object(m) = values {
            out.extend(m);
        }
        Ok(Value::Object(out))
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

/// A config object (without `type` and `name`) as `C`; an empty object is `C::default()`.
fn parse_config<C: DetectorConfig>(v: Value) -> Result<C> {
    if v.as_object().is_some_and(|o| o.is_empty()) {
        return Ok(C::default());
    }
    serde_json::from_value(v)
        .map_err(|e| Error::config(format!("{} detector", C::TYPE), e.to_string()))
}

/// `{"type": ty}`.
fn type_only(ty: &str) -> Value {
    let mut m = Map::new();
    m.insert("type".into(), Value::String(ty.to_string()));
    Value::Object(m)
}

/// A config object's detector name: its `name`, else its `type`.
fn detector_name(c: &Value) -> Option<&str> {
    c.get("name")
        .or_else(|| c.get("type"))
        .and_then(Value::as_str)
}

/// Sets `fields` on the config object `c`; `type` cannot change.
fn merge(c: &mut Value, fields: &Map<String, Value>) -> std::result::Result<(), &'static str> {
    let Value::Object(obj) = c else {
        return Err("the detector's config is not an object");
    };
    for (k, v) in fields {
        if k == "type" && obj.get("type") != Some(v) {
            return Err("`type` cannot be changed by tuning");
        }
        obj.insert(k.clone(), v.clone());
    }
    Ok(())
}
