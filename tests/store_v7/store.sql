PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE currencies (rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, code TEXT NOT NULL UNIQUE);
INSERT INTO currencies VALUES(1,'FBB68D1E4EA1F59CAA199F8B6FA47B18','EUR');
INSERT INTO currencies VALUES(2,'CF18668598E8C8C4ECA72145151B6C77','USD');
CREATE TABLE units (rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL UNIQUE, alternative_code TEXT, currency TEXT);
INSERT INTO units VALUES(1,'8D700A84408093F8463DDD161E4AB07A','Admin Unit','ADM','EUR');
INSERT INTO units VALUES(2,'71EA6F2F5BBBE65BA859F89785B6633E','Shop Unit','SHP','USD');
CREATE TABLE accounts_receivable (rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, number TEXT NOT NULL UNIQUE, name TEXT, payment_medium_types TEXT /* JSON array */, payment_medium_brands TEXT /* JSON array */);
INSERT INTO accounts_receivable VALUES(1,'BC1A8F890B05F686D8536FA8B6869188','ACR0000000020','Andreas Georgiou',NULL,NULL);
INSERT INTO accounts_receivable VALUES(2,'5B0FD2F60B25BB7F0A26F3EDB46A3FA7','ACR0000000050','Katerina Ioannou',NULL,NULL);
INSERT INTO accounts_receivable VALUES(3,'186F22ACCA2A7D3C59D2CE183C66D9C6','ACR0000000077','Polina Demetriou','["Credit Card","Cash"]','["VISA"]');
INSERT INTO accounts_receivable VALUES(4,'AE15DD1C02735F7CE46B98EFC3FC8DA0','ACR0000000164','Maria Christodoulou',NULL,NULL);
INSERT INTO accounts_receivable VALUES(5,'2A89A80E077BE666779EA083EDB2E200','ACR0000000218','Nikos Constantinou','["Credit Card"]','["VISA"]');
INSERT INTO accounts_receivable VALUES(6,'B9F5AE6A9CE7FD1B0B8A20C4F1174CCA','ACR0000000226','Eleni Panayiotou',NULL,NULL);
INSERT INTO accounts_receivable VALUES(7,'33B749B12ACB9E44BCF5CE04D80C99CA','ACR0000000228','Costas Charalambous',NULL,NULL);
CREATE TABLE rewards_participants (rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, number TEXT NOT NULL UNIQUE, accounts_receivable TEXT, referred_by TEXT);
INSERT INTO rewards_participants VALUES(1,'C125B8C721A919214976CAF2E68B1D88','RP0000000001','ACR0000000020',NULL);
INSERT INTO rewards_participants VALUES(2,'4DC1933381727A66B7882610BC945A17','RP0000000004','ACR0000000050','RP0000000001');
INSERT INTO rewards_participants VALUES(3,'B7A31083CDD382B03CE9A5F4A8FDB4DE','RP0000000010','ACR0000000164',NULL);
INSERT INTO rewards_participants VALUES(4,'DE3E150E364269033FC7967DD47365F5','RP0000000012','ACR0000000218',NULL);
INSERT INTO rewards_participants VALUES(5,'B2ADC276F297E2026A3FA8941AF64D0A','RP0000000014','ACR0000000226',NULL);
INSERT INTO rewards_participants VALUES(6,'134526AAFF18A55CCC1BED236794BC3C','RP0000000017','ACR0000000077',NULL);
CREATE TABLE classifications (rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL UNIQUE, alternative_code TEXT, type TEXT);
INSERT INTO classifications VALUES(1,'5843BFA753820FD4320D0EA367BBF946','Customer Feedback 3','CF3','achievements');
INSERT INTO classifications VALUES(2,'44B32AEDA194D997C8A6612B7A929F92','Purchase 1','PUR1','purchases');
INSERT INTO classifications VALUES(3,'0D788D6773AB2CF7E4900B0E599835EE','Referral 1','REF1','referrals');
INSERT INTO classifications VALUES(4,'FCE1C9DF23800257F72D398C7EDBCFEE','Like 1','LIKE1','social_media');
INSERT INTO classifications VALUES(5,'CE74EA534EFEC5E705EA0467D8B83339','Website Visit 1','WEB1','web');
INSERT INTO classifications VALUES(6,'43C4C977E272DA4C6377FE5F0A00A333','Financial Achievement 1','FA1','financial_achievements');
INSERT INTO classifications VALUES(7,'F3D25CE61C890C5B097C57283A01295B','Financial Achievement 2','FA2','financial_achievements');
INSERT INTO classifications VALUES(8,'FFD66964324CDF1E7F8FAB6093DE31E7','Financial Achievement 3','FA3','financial_achievements');
INSERT INTO classifications VALUES(9,'232C65B21D0BB30E9E72E3F9F4FD53F2','Financial Statement 1','FS1','financial_statements');
CREATE TABLE products (rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, code TEXT NOT NULL UNIQUE, alternative_code TEXT);
INSERT INTO products VALUES(1,'F4B53BA062CE956D796816E0123C2452','Serendipity','SER');
INSERT INTO products VALUES(2,'001838C9F19DE8FBB36EF1F16D9C127C','Bronze','BRZ');
INSERT INTO products VALUES(3,'7704EBCD0E87B4987B0451E0D9A15800','Silver','SLV');
CREATE TABLE payment_medium_brands (rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL UNIQUE, alternative_code TEXT);
INSERT INTO payment_medium_brands VALUES(1,'0E0A6DDEAC5F1B7C57F03D11479A5C18','VISA','VS');
INSERT INTO payment_medium_brands VALUES(2,'D04CBB023712D8A5AE69B22E4C34DD04','Mastercard','MC');
CREATE TABLE payment_medium_types (rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL UNIQUE, alternative_code TEXT);
INSERT INTO payment_medium_types VALUES(1,'2A1DF75C56B0490CA3663205A112DAAA','Credit Card','CC');
INSERT INTO payment_medium_types VALUES(2,'4E5BA3D22961F5BA7B13C7D87DF259E6','Cash','CSH');
CREATE TABLE invoices (rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, number TEXT NOT NULL UNIQUE, reference_number TEXT, back_office_code TEXT, accounts_receivable TEXT);
INSERT INTO invoices VALUES(1,'62F512EB5154C68BDC059BFA70C282E7','INV0000001','R-0001','BO-0001','ACR0000000077');
INSERT INTO invoices VALUES(2,'4C2D6626B4736B1E68397B2FAC5A94A6','INV0000002','R-0002','BO-0002','ACR0000000228');
CREATE TABLE key_performance_indicators (rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL UNIQUE, alternative_code TEXT);
INSERT INTO key_performance_indicators VALUES(1,'F5A8EDD766575F4978D7ACF6A33BEBB9','Monthly Spend','MSP');
INSERT INTO key_performance_indicators VALUES(2,'6F692CC6690756125BF92AA45F17610B','Visits','VIS');
CREATE TABLE events (
    seq INTEGER PRIMARY KEY,
    kind TEXT GENERATED ALWAYS AS (CASE seq >> 40 WHEN 1 THEN 'achievements' WHEN 2 THEN 'purchases' WHEN 3 THEN 'referrals' WHEN 4 THEN 'social_media' WHEN 5 THEN 'web' WHEN 6 THEN 'financial_achievements' WHEN 7 THEN 'financial_statements' END) VIRTUAL,
    number INTEGER GENERATED ALWAYS AS (seq & 1099511627775) VIRTUAL,
    -- The id of an event created before schema 7; NULL for later ones, whose id the
    -- event_ids view gives.
    id TEXT,
    request_unique_identifier TEXT NOT NULL,
    -- The account's row (an integer, schema 6), or its id (text): no type, so that one is
    -- never taken for the other.
    accounts_receivable_id,
    external_system TEXT,
    external_system_reference_number TEXT,
    body TEXT NOT NULL
);
INSERT INTO events VALUES(2199023255553,NULL,'31',7,NULL,NULL,'{"4":1,"5":1466607600,"7":"RF01","38":[{"0":1,"1":1,"2":50,"3":10,"4":60},{"0":2,"1":1,"2":160,"3":20,"4":180}]}');
INSERT INTO events VALUES(2199023255554,NULL,'32',7,NULL,NULL,'{"4":1,"5":1466607600,"7":"RF01","38":[{"0":1,"1":1,"2":50,"3":10,"4":60},{"0":2,"1":1,"2":160,"3":20,"4":180}]}');
INSERT INTO events VALUES(3298534883329,NULL,'125',NULL,NULL,NULL,'{"2":1,"3":1466607600,"5":6,"6":3}');
INSERT INTO events VALUES(3298534883330,NULL,'124',NULL,NULL,NULL,'{"2":1,"3":1466607600,"5":5,"6":4}');
INSERT INTO events VALUES(7696581394433,NULL,'71',3,NULL,NULL,'{"3":9,"4":1,"5":1466607600,"25":[{"0":1,"1":120.5,"2":2}]}');
INSERT INTO events VALUES(7696581394434,NULL,'72',7,NULL,NULL,'{"3":9,"4":1,"5":1466607902,"25":[{"0":1,"1":120.5},{"0":1,"1":120.5,"2":2}]}');
CREATE TABLE id_batches (
    first_seq INTEGER PRIMARY KEY,
    millis INTEGER NOT NULL,
    random INTEGER
);
INSERT INTO id_batches VALUES(2199023255553,7,NULL);
INSERT INTO id_batches VALUES(3298534883329,7,NULL);
INSERT INTO id_batches VALUES(7696581394433,7,NULL);
CREATE TABLE referrals (
    referred_participant_id TEXT PRIMARY KEY,
    referred_by_participant_id TEXT NOT NULL,
    event_seq INTEGER NOT NULL
);
INSERT INTO referrals VALUES('134526AAFF18A55CCC1BED236794BC3C','B7A31083CDD382B03CE9A5F4A8FDB4DE',3298534883329);
INSERT INTO referrals VALUES('B2ADC276F297E2026A3FA8941AF64D0A','DE3E150E364269033FC7967DD47365F5',3298534883330);
CREATE TABLE sequences (
    kind TEXT PRIMARY KEY,
    last_number INTEGER NOT NULL
);
INSERT INTO sequences VALUES('purchases',2);
INSERT INTO sequences VALUES('referrals',2);
INSERT INTO sequences VALUES('financial_statements',2);
CREATE TABLE users (
    name TEXT PRIMARY KEY,
    organisation TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE web_api_keys (
    name TEXT PRIMARY KEY,
    lookup TEXT NOT NULL UNIQUE,
    key_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE tokens (
    hash TEXT PRIMARY KEY,
    origin TEXT NOT NULL CHECK (origin IN ('login', 'key')),
    subject TEXT NOT NULL,
    organisation TEXT,
    unit_id TEXT,
    issued_at INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE imports (
    id INTEGER PRIMARY KEY,
    origin TEXT NOT NULL CHECK (origin IN ('command line', 'console')),
    user TEXT NOT NULL,
    started TEXT NOT NULL,
    file TEXT NOT NULL,
    kind TEXT,
    dry_run INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'failed')),
    events_read INTEGER,
    created INTEGER,
    already_stored INTEGER,
    unprocessed INTEGER,
    duration_ms INTEGER,
    summary TEXT,
    error TEXT
);
INSERT INTO imports VALUES(1,'command line','uid 0','2026-11-30T21:33:10Z','fixtures/requests/purchases.json','purchases',0,'finished',4,2,0,2,2,'{"events_read":4,"created":2,"already_in_store":0,"unprocessed":2,"unprocessed_by_code":{"NotFoundAPIValueException":2},"missing_references":[{"entity":"accounts_receivable","value":"ACR0000058","description":"Account (ACR0000058) not found","events":1},{"entity":"accounts_receivable","value":"ACR00008","description":"Account (ACR00008) not found","events":1}],"missing_references_distinct":2,"amended":0,"amended_identifiers":[],"inputs_rejected":0,"dry_run":false,"ended":"finished","duration_seconds":0.003,"events_per_second":1341.0}',NULL);
INSERT INTO imports VALUES(2,'command line','uid 0','2026-11-30T21:33:10Z','fixtures/requests/referrals.json','referrals',0,'finished',3,2,0,1,4,'{"events_read":3,"created":2,"already_in_store":0,"unprocessed":1,"unprocessed_by_code":{"ReferredByAnotherParticipantException":1},"missing_references":[],"missing_references_distinct":0,"amended":0,"amended_identifiers":[],"inputs_rejected":0,"dry_run":false,"ended":"finished","duration_seconds":0.005,"events_per_second":661.0}',NULL);
INSERT INTO imports VALUES(3,'command line','uid 0','2026-11-30T21:33:10Z','fixtures/requests/financial_statements.json','financial_statements',0,'finished',4,2,0,2,2,'{"events_read":4,"created":2,"already_in_store":0,"unprocessed":2,"unprocessed_by_code":{"NotFoundAPIValueException":2},"missing_references":[{"entity":"accounts_receivable","value":"ACR0000998","description":"Account (ACR0000998) not found","events":1},{"entity":"accounts_receivable","value":"ACR0000999","description":"Account (ACR0000999) not found","events":1}],"missing_references_distinct":2,"amended":0,"amended_identifiers":[],"inputs_rejected":0,"dry_run":false,"ended":"finished","duration_seconds":0.003,"events_per_second":1379.0}',NULL);
CREATE INDEX events_request ON events (request_unique_identifier);
CREATE UNIQUE INDEX events_external ON events
    (kind, ifnull(external_system, ''), external_system_reference_number)
    WHERE external_system_reference_number IS NOT NULL;
CREATE VIEW event_products AS
    SELECT e.seq AS event_seq, p.key AS line,
           CASE json_type(p.value, '$."0"') WHEN 'integer' THEN (SELECT id FROM products WHERE rid = p.value ->> '$."0"') ELSE p.value ->> '$."0"' END AS product_id,
           p.value -> '$."1"' AS quantity,
           p.value -> '$."2"' AS net_amount,
           p.value -> '$."3"' AS vat_amount,
           p.value -> '$."4"' AS total_amount
    FROM events e, json_each(e.body, '$."38"') p
    WHERE e.kind = 'purchases';
CREATE VIEW event_kpis AS
    SELECT e.seq AS event_seq, k.key AS line,
           CASE json_type(k.value, '$."0"') WHEN 'integer' THEN (SELECT id FROM key_performance_indicators WHERE rid = k.value ->> '$."0"') ELSE k.value ->> '$."0"' END AS key_performance_indicator_id,
           k.value -> '$."1"' AS value,
           CASE json_type(k.value, '$."2"') WHEN 'integer' THEN (SELECT id FROM products WHERE rid = k.value ->> '$."2"') ELSE k.value ->> '$."2"' END AS product_id
    FROM events e, json_each(e.body, '$."25"') k
    WHERE e.kind = 'financial_statements';
CREATE VIEW event_ids (seq, id) AS
    SELECT e.seq, coalesce(e.id, (SELECT CASE WHEN b.random IS NULL
    THEN printf('%012X%X%019X', b.millis, e.seq >> 40, e.seq & 1099511627775)
    ELSE printf('%012X%X%010X%09X', b.millis, e.seq >> 40, e.seq & 1099511627775,
                (b.random + ((e.seq & 1099511627775) % 68719476736) * 40503) % 68719476736)
    END FROM id_batches b WHERE b.first_seq <= e.seq AND b.first_seq >= (e.seq >> 40) << 40
    ORDER BY b.first_seq DESC LIMIT 1))
    FROM events e;
PRAGMA user_version = 7;
COMMIT;
