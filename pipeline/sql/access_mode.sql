-- 'read_only' or 'read_write': whether this connection may write (search refreshes its index).
SELECT current_setting('access_mode')
