//! The one check that a container never runs as root: a `user` setting
//! (`name`, `uid`, `name:group`, `uid:gid`) resolved to a uid the way the
//! runtime resolves it, then compared with 0. Pure: the image's
//! `/etc/passwd` is passed in by the caller when a name needs it.
//!
//! The runtime's rules (dockerd and runc share libcontainer's
//! `user.GetExecUser`): the user is what comes before the first `:`; when
//! Go's `strconv.Atoi` takes it (an optional `+`/`-` sign, decimal digits,
//! leading zeros allowed: `00`, `+0`, `-0` are all 0) it is a uid, whatever
//! `/etc/passwd` says; otherwise it is a name looked up in the image's
//! `/etc/passwd` (first matching line; a uid field that does not parse
//! counts as 0 there). An empty user means the image's default user, which
//! devctl cannot vouch for, so it is refused as well as anything the
//! runtime would reject or that contains whitespace or control characters.

/// The largest uid the runtime accepts for a numeric user (runc: `1<<31 - 1`).
pub const MAX_UID: i64 = (1 << 31) - 1;

/// How far a `user` setting can be resolved without the image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Spelled {
    /// A uid (not 0) whatever the image says.
    Uid(u32),
    /// A name (not `root`): the image's /etc/passwd decides.
    Name(String),
}

/// The user part of a `user` setting (before the first `:`).
pub fn user_part(spec: &str) -> &str {
    spec.split(':').next().unwrap_or("")
}

/// Go's `strconv.Atoi` on a 64-bit platform: `None` when it fails.
pub fn go_atoi(s: &str) -> Option<i64> {
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut v: i64 = 0;
    for b in digits.bytes() {
        v = v.checked_mul(10)?.checked_add(i64::from(b - b'0'))?;
    }
    Some(if neg { -v } else { v })
}

/// The Dockerfile lines that give an image the non-root user `name` with
/// devctl's `APP_UID` build arg as its uid: `useradd`, or BusyBox/Alpine's
/// `adduser` when `busybox`.
pub fn create_user_lines(name: &str, busybox: bool) -> [String; 3] {
    let add = if busybox {
        format!("RUN adduser -D -u ${{APP_UID}} {name}")
    } else {
        format!("RUN useradd --create-home --uid ${{APP_UID}} {name}")
    };
    ["ARG APP_UID=1000".to_string(), add, format!("USER {name}")]
}

/// [`create_user_lines`] as a message shows them: indented, one a line.
pub fn create_user_hint(name: &str, busybox: bool) -> String {
    create_user_lines(name, busybox)
        .iter()
        .map(|l| format!("\n    {l}"))
        .collect()
}

fn root_error(spec: &str, why: &str) -> String {
    format!("user `{spec}` {why}: the user must not be root, devctl never runs a container as root; use a non-root user, e.g. `app` (created in the Dockerfile with `useradd -u \"$APP_UID\" app`) or a uid such as `1000`")
}

/// Checks a `user` setting as far as it can be without the image: refuses
/// every spelling of uid 0, `root`, an empty user and anything the runtime
/// would not take; a name other than `root` is left to [`resolve`].
pub fn check_spelling(spec: &str) -> Result<Spelled, String> {
    if spec.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "user `{}` contains whitespace or a control character: the runtime would look it up as a name no image has; write a user name or uid such as `app` or `1000`",
            spec.escape_debug()
        ));
    }
    let user = user_part(spec);
    if user.is_empty() {
        return Err(format!("user `{spec}` has an empty user part, which means the image's default user (often root): name a non-root user, e.g. `app` or `1000`"));
    }
    if let Some(n) = go_atoi(user) {
        return match n {
            0 => Err(root_error(spec, "is uid 0 (root)")),
            1..=MAX_UID => Ok(Spelled::Uid(n as u32)),
            _ => Err(format!(
                "user `{spec}`: `{user}` is not a valid uid (0 < uid ≤ {MAX_UID}); write a non-root uid such as `1000`"
            )),
        };
    }
    if user
        .trim_start_matches(['+', '-'])
        .bytes()
        .all(|b| b.is_ascii_digit())
    {
        return Err(format!(
            "user `{spec}`: `{user}` is not a valid uid (0 < uid ≤ {MAX_UID}); write a non-root uid such as `1000`"
        ));
    }
    if user == "root" {
        return Err(root_error(spec, "names the root user (uid 0)"));
    }
    Ok(Spelled::Name(user.to_string()))
}

/// The uid `name` has in /etc/passwd text, as the runtime reads it (each
/// line trimmed, blank lines skipped, the first line with that name wins, a
/// uid field that does not parse is 0). `None`: no such line.
pub fn passwd_uid(etc_passwd: &str, name: &str) -> Option<i64> {
    etc_passwd.lines().find_map(|l| {
        let l = l.trim();
        let mut f = l.split(':');
        (!l.is_empty() && f.next() == Some(name)).then(|| {
            let uid = f.nth(1).unwrap_or("");
            go_atoi(uid).unwrap_or(0)
        })
    })
}

/// Resolves a `user` setting to the uid the container would run as, given
/// the image's /etc/passwd (`None`: the image has none); an error (saying
/// why and what to do) for root and for anything that cannot be resolved.
pub fn resolve(spec: &str, etc_passwd: Option<&str>) -> Result<u32, String> {
    match check_spelling(spec)? {
        Spelled::Uid(n) => Ok(n),
        Spelled::Name(name) => {
            let Some(passwd) = etc_passwd else {
                return Err(format!("user `{spec}`: the image has no /etc/passwd to look `{name}` up in; create the user in the Dockerfile or use a uid such as `1000`"));
            };
            match passwd_uid(passwd, &name) {
                None => Err(format!(
                    "user `{spec}`: there is no user `{name}` in the image's /etc/passwd; create it in the Dockerfile the image is built from with these lines (`adduser -D -u ${{APP_UID}} {name}` on Alpine/BusyBox), then `devctl build`:{}",
                    create_user_hint(&name, false)
                )),
                Some(0) => Err(root_error(spec, "is uid 0 (root) in the image's /etc/passwd")),
                Some(n) if (1..=MAX_UID).contains(&n) => Ok(n as u32),
                Some(n) => Err(format!("user `{spec}`: the image's /etc/passwd gives `{name}` the uid {n}, which the runtime cannot use; give it a uid such as `1000`")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\n\
        toor:x:0:0::/root:/bin/sh\n\
        zeroes:x:000:0::/:/bin/sh\n\
        garbled:x:abc:0::/:/bin/sh\n\
        \n\
        app:x:1000:1000::/home/app:/bin/sh\n\
        app:x:0:0:second entry, never used::\n\
        neg:x:-5:0::/:/bin/sh\n";

    #[test]
    fn go_atoi_matches_go() {
        assert_eq!(go_atoi("0"), Some(0));
        assert_eq!(go_atoi("00"), Some(0));
        assert_eq!(go_atoi("+0"), Some(0));
        assert_eq!(go_atoi("-0"), Some(0));
        assert_eq!(go_atoi("0001000"), Some(1000));
        assert_eq!(go_atoi("-1"), Some(-1));
        assert_eq!(go_atoi("+"), None);
        assert_eq!(go_atoi(""), None);
        assert_eq!(go_atoi(" 0"), None);
        assert_eq!(go_atoi("0x0"), None);
        assert_eq!(go_atoi("1_000"), None);
        assert_eq!(go_atoi("99999999999999999999"), None);
    }

    #[test]
    fn every_spelling_of_uid_0_is_refused() {
        for bad in [
            "0",
            "00",
            "000",
            "000:0",
            "+0",
            "-0",
            "0:0",
            "0:1000",
            "root",
            "root:root",
            "root:app",
            " 0",
            "0 ",
            "\t0",
            "root\n",
            ":0",
            ":",
            "",
            "-1",
            "2147483648",
            "99999999999999999999",
        ] {
            assert!(check_spelling(bad).is_err(), "{bad:?} passed");
            assert!(resolve(bad, Some(PASSWD)).is_err(), "{bad:?} resolved");
        }
        let e = check_spelling("+0").unwrap_err();
        assert!(e.contains("uid 0") && e.contains("root"), "{e}");
        let e = check_spelling("root:root").unwrap_err();
        assert!(e.contains("root user"), "{e}");
    }

    #[test]
    fn names_the_image_maps_to_0_are_refused() {
        for bad in ["toor", "toor:app", "zeroes", "garbled", "neg"] {
            let e = resolve(bad, Some(PASSWD)).unwrap_err();
            assert!(!e.is_empty(), "{bad}");
        }
        assert!(resolve("toor", Some(PASSWD))
            .unwrap_err()
            .contains("uid 0 (root) in the image's /etc/passwd"));
        // the first `app` line wins, as in the runtime
        assert_eq!(resolve("app", Some(PASSWD)), Ok(1000));
        assert_eq!(resolve("app:0", Some(PASSWD)), Ok(1000));
    }

    #[test]
    fn names_that_cannot_be_resolved_are_refused() {
        assert!(resolve("web", Some(PASSWD))
            .unwrap_err()
            .contains("no user `web`"));
        assert!(resolve("app", None).unwrap_err().contains("no /etc/passwd"));
        let e = resolve("web", Some(PASSWD)).unwrap_err();
        assert!(
            e.starts_with("user `web`: there is no user `web` in the image's /etc/passwd")
                && e.ends_with(":\n    ARG APP_UID=1000\n    RUN useradd --create-home --uid ${APP_UID} web\n    USER web"),
            "{e}"
        );
    }

    #[test]
    fn numeric_users_are_uids_whatever_the_image_says() {
        assert_eq!(resolve("1000", None), Ok(1000));
        assert_eq!(resolve("+1000:0", Some(PASSWD)), Ok(1000));
        assert_eq!(resolve("01000", Some("x:x:0:0::/:\n")), Ok(1000));
        assert_eq!(check_spelling("1000:1000"), Ok(Spelled::Uid(1000)));
        assert_eq!(check_spelling("app"), Ok(Spelled::Name("app".into())));
        assert_eq!(check_spelling("app:root"), Ok(Spelled::Name("app".into())));
    }
}
