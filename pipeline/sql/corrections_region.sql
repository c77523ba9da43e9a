-- Is this a Kemendagri code the regions table knows?
SELECT code FROM regions WHERE code = $code;
