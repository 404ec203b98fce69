//! Percent-decoding for the router: the decoder itself is shared with the file server and
//! lives in [`http_core::percent`]; this module adds the whole-path check.

use http_core::percent::{InvalidPercentEncoding, percent_decode};

/// Checks every segment of `path` without keeping the results.
pub(crate) fn validate_path(path: &str) -> Result<(), InvalidPercentEncoding> {
    if !path.contains('%') {
        return Ok(());
    }
    path.split('/').try_for_each(|seg| percent_decode(seg).map(drop))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validate_whole_path() {
        assert!(validate_path("/a/b%20c/d").is_ok());
        assert!(validate_path("/a/%zz/d").is_err());
        assert!(validate_path("/no/percent").is_ok());
    }
}
