SELECT id, pid FROM crawl_runs WHERE status = 'running';
