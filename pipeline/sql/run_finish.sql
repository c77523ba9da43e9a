UPDATE crawl_runs SET finished_at = $now, status = $status, error = $error WHERE id = $id;
