-- Each property keeps the type it had on the wire. The text maps still hold every value (and custom_numbers the
-- numeric ones); these maps name the type of every key whose value is not a string, as the contract's ValueType
-- numbers: 2 integer, 3 float, 4 boolean, 5 datetime. A key absent from them is a string, so rows written
-- before this migration read as they always did.
ALTER TABLE events ADD COLUMN IF NOT EXISTS auto_types Map(LowCardinality(String), UInt8) AFTER auto_properties;
ALTER TABLE events ADD COLUMN IF NOT EXISTS custom_types Map(LowCardinality(String), UInt8) AFTER custom_numbers;
