-- Reserved: number 0009 belongs to work merged from another branch. On merge, that branch's
-- 0009 replaces this file (delete this one); it exists so this branch's 0010 applies in order.
SELECT 1;
