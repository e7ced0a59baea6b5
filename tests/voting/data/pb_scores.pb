META
key;value
budget;100
vote_type;cumulative
PROJECTS
project_id;cost;name
a;40;"Benches; park"
b;30;Trees
VOTES
voter_id;vote;points
1;a;3
2;a,b;1,2
