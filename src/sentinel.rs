//! Sentinel's CEF-to-column mapping, as far as the rule depends on it: which extension keys
//! become columns, and so which are left for `AdditionalExtensions`.

/// Keys of the ArcSight CEF dictionary that Sentinel maps to CommonSecurityLog columns.
/// Everything else (PanOS*, vendor keys) is joined as `k=v;k=v` into AdditionalExtensions.
const MAPPED: &[&str] = &[
    "act",
    "app",
    "cat",
    "cnt",
    "dhost",
    "dmac",
    "dntdom",
    "dpid",
    "dpriv",
    "dproc",
    "dpt",
    "dst",
    "dtz",
    "duid",
    "duser",
    "dvc",
    "dvchost",
    "dvcmac",
    "dvcpid",
    "end",
    "externalId",
    "fname",
    "fsize",
    "in",
    "msg",
    "out",
    "outcome",
    "proto",
    "reason",
    "request",
    "requestClientApplication",
    "requestContext",
    "requestCookies",
    "requestMethod",
    "rt",
    "shost",
    "smac",
    "sntdom",
    "spid",
    "spriv",
    "sproc",
    "spt",
    "src",
    "start",
    "suid",
    "suser",
    "deviceExternalId",
    "deviceFacility",
    "deviceInboundInterface",
    "deviceOutboundInterface",
    "deviceDirection",
    "deviceDnsDomain",
    "deviceNtDomain",
    "deviceProcessName",
    "deviceTranslatedAddress",
    "destinationDnsDomain",
    "destinationServiceName",
    "destinationTranslatedAddress",
    "destinationTranslatedPort",
    "sourceDnsDomain",
    "sourceServiceName",
    "sourceTranslatedAddress",
    "sourceTranslatedPort",
    "fileCreateTime",
    "fileHash",
    "fileId",
    "fileModificationTime",
    "filePath",
    "filePermission",
    "fileType",
    "oldFileCreateTime",
    "oldFileHash",
    "oldFileId",
    "oldFileModificationTime",
    "oldFileName",
    "oldFilePath",
    "oldFilePermission",
    "oldFileSize",
    "oldFileType",
    "cs1",
    "cs1Label",
    "cs2",
    "cs2Label",
    "cs3",
    "cs3Label",
    "cs4",
    "cs4Label",
    "cs5",
    "cs5Label",
    "cs6",
    "cs6Label",
    "cn1",
    "cn1Label",
    "cn2",
    "cn2Label",
    "cn3",
    "cn3Label",
    "cfp1",
    "cfp1Label",
    "cfp2",
    "cfp2Label",
    "cfp3",
    "cfp3Label",
    "cfp4",
    "cfp4Label",
    "c6a1",
    "c6a1Label",
    "c6a2",
    "c6a2Label",
    "c6a3",
    "c6a3Label",
    "c6a4",
    "c6a4Label",
    "deviceCustomDate1",
    "deviceCustomDate1Label",
    "deviceCustomDate2",
    "deviceCustomDate2Label",
    "flexDate1",
    "flexDate1Label",
    "flexNumber1",
    "flexNumber1Label",
    "flexNumber2",
    "flexNumber2Label",
    "flexString1",
    "flexString1Label",
    "flexString2",
    "flexString2Label",
    "devicePayloadId",
    "eventId",
    "type",
    "ReceiptTime",
    "deviceCustomIPv6Address1",
    "deviceCustomIPv6Address1Label",
    "deviceCustomIPv6Address2",
    "deviceCustomIPv6Address2Label",
    "deviceCustomIPv6Address3",
    "deviceCustomIPv6Address3Label",
    "deviceCustomIPv6Address4",
    "deviceCustomIPv6Address4Label",
];

pub fn is_mapped(key: &[u8]) -> bool {
    MAPPED.iter().any(|m| m.as_bytes() == key)
}

/// The unmapped pairs joined as Sentinel does: `k=v;k=v`, values decoded.
pub fn additional_extensions<'a>(pairs: impl Iterator<Item = (&'a [u8], &'a [u8])>) -> String {
    let mut out = String::new();
    for (key, value) in pairs.filter(|(k, _)| !is_mapped(k)) {
        if !out.is_empty() {
            out.push(';');
        }
        out.push_str(&String::from_utf8_lossy(key));
        out.push('=');
        out.push_str(&crate::cef::extension_value(value));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_only_unmapped_pairs() {
        let c = crate::cef::parse(b"0|a|b|c|d|e|f|src=1 PanOSX=a b endreason=aged\\=out dpt=2")
            .unwrap();
        assert_eq!(
            additional_extensions(c.pairs()),
            "PanOSX=a b;endreason=aged=out"
        );
    }
}
