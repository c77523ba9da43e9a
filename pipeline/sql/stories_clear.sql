-- `suar stories --rebuild`: forget every grouping (articles and enrichments stay).
DELETE FROM story_articles;
DELETE FROM stories;
DELETE FROM article_duplicates;
DELETE FROM article_dates;
