//! Static files: `servecontent`, `servefile`, `fileserver` (filled by the static-files issue).
