"""tests/web/scenario.py: the fake model's side of the browser journey (tests/web/test_web.py).

One callable, set as FakeModel.default, answers every agent of the journey from what each request
offers and asks (no fixed order, so concurrent bootstraps are fine):
- topic agent (offers save_concept): saves two concepts, then the edge first -> second;
- bootstrap (offers save_subconcept): one MCQ and one open diagnostic question when offered,
  subconcepts "<concept> basics" and "<concept> practice", an edge basics -> practice;
- refinement (offers grade_student_answers): grades, and once answers were graded removes
  "<concept> practice" (the refinement visibly changes the graph);
- tutor (offers record_exercise_result): a lesson chunk with a question; an [ANSWER] records a
  correct result then completes the lesson; a [CLARIFICATION] gets a hint;
- anything else (diagnostic generation, grading): the fake's standalone auto_reply.
`hostile=True` puts HTML and script into titles, reasoning and tutor text.
Thread model: called on the fake's request threads; the one mutable set is guarded by a lock.
"""
import json
import threading

from support.fake_model import auto_reply, text, tool

HOSTILE = '<img src=x onerror="window.__pwned=1">'


def _tools(req):
    body = req.json if isinstance(req.json, dict) else {}
    return [t.get("name") or (t.get("function") or {}).get("name") for t in body.get("tools") or []]


def _messages(req):
    body = req.json if isinstance(req.json, dict) else {}
    return body.get("messages") or []


def _text_of(content):
    if isinstance(content, str):
        return content
    out = []
    for b in content or []:
        if isinstance(b, dict):
            if b.get("type") == "text":
                out.append(b.get("text", ""))
            elif b.get("type") == "tool_result":
                c = b.get("content")
                out.append(c if isinstance(c, str) else json.dumps(c))
    return "\n".join(out)


def _tool_turns(req):
    n = 0
    for m in _messages(req):
        c = m.get("content")
        if m.get("role") == "assistant" and isinstance(c, list) and any(
                isinstance(b, dict) and b.get("type") == "tool_use" for b in c):
            n += 1
    return n


class Journey:
    def __init__(self, concepts=("Vectors", "Matrices"), hostile=False):
        self.hostile = hostile
        self.concepts = [f"{HOSTILE}{c}" if hostile else c for c in concepts]
        self.removed = set()
        self.lock = threading.Lock()

    def __call__(self, req):
        tools = _tools(req)
        msgs = _messages(req)
        first = _text_of(msgs[0].get("content")) if msgs else ""
        turns = _tool_turns(req)
        if "save_concept" in tools:
            return self.topic(turns)
        if "save_subconcept" in tools:
            return self.bootstrap(first, turns, "save_diagnostic_question" in tools)
        if "grade_student_answers" in tools:
            return self.refine(req, first, turns)
        if "record_exercise_result" in tools:
            return self.tutor(msgs)
        return auto_reply(req)

    def concept_in(self, s):
        # longest first, so "Vectors" never matches inside another title
        for c in sorted(self.concepts, key=len, reverse=True):
            if c in s or c.replace('"', '\\"') in s:
                return c
        return self.concepts[0]

    def topic(self, turns):
        a, b = self.concepts
        steps = [("save_concept", {"title": a, "desc": f"What {a} are."}),
                 ("save_concept", {"title": b, "desc": f"Working with {b}."}),
                 ("save_concept_edge", {"source_title": a, "target_title": b})]
        if turns < len(steps):
            name, inp = steps[turns]
            why = "Planning the path." if turns == 0 else None
            if self.hostile and turns == 0:
                why = f"<script>window.__pwned=2</script>{HOSTILE} **Planning** the path."
            return tool(name, inp, text=why)
        return text(f"{a} come before {b}.")

    def bootstrap(self, first, turns, questions):
        c = self.concept_in(first)
        steps = []
        if questions:
            steps += [("save_diagnostic_question", {"prompt": f"Which is a {c} example?", "format": "mcq",
                                                     "options": ["Right one", "Wrong one", "Other", "None"],
                                                     "correct_answer": "Right one", "difficulty": 1}),
                      ("save_diagnostic_question", {"prompt": f"Explain {c} in one sentence.",
                                                     "format": "open_ended",
                                                     "correct_answer": "an explanation", "difficulty": 3})]
        steps += [("save_subconcept", {"title": f"{c} basics", "desc": "The first steps."}),
                  ("save_subconcept", {"title": f"{c} practice", "desc": "Using it."}),
                  ("save_subconcept_edge", {"source_title": f"{c} basics", "target_title": f"{c} practice"})]
        if turns < len(steps):
            return tool(*steps[turns])
        return text("Structure saved.")

    def refine(self, req, first, turns):
        c = self.concept_in(first)
        if turns == 0:
            return tool("grade_student_answers", {}, text="Grading the diagnostic first.")
        result = _text_of(_messages(req)[-1].get("content"))
        graded = "gradedCount" in result and "No gradable answers" not in result
        with self.lock:
            remove = turns == 1 and graded and c not in self.removed
            if remove:
                self.removed.add(c)
        if remove:
            return tool("remove_subconcept", {"title": f"{c} practice"},
                        text="You know the practice part already: removing it.")
        return text("The path fits the answers.")

    def tutor(self, msgs):
        last = msgs[-1] if msgs else {}
        body = _text_of(last.get("content")).strip()
        lastc = last.get("content")
        if isinstance(lastc, list) and any(isinstance(b, dict) and b.get("type") == "tool_result" for b in lastc):
            return text("Correct, well done! You have mastered this part. [COMPLETE]")
        if body.startswith("[ANSWER]"):
            return tool("record_exercise_result", {"exercise_prompt": "What two things describe a vector?",
                                                   "student_answer": body, "is_correct": True, "score": 1,
                                                   "feedback": "Right."})
        if body.startswith("[CLARIFICATION]"):
            return text("Hint: think of an **arrow**: how long it is, and where it points.")
        lesson = "A vector has a **magnitude** and a **direction**."
        if self.hostile:
            lesson = f"<script>window.__pwned=3</script>{HOSTILE} {lesson}"
        return text(f"{lesson}\n\n[ADVANCE_CHUNK]\n\nQuestion Type: text\n\nQuestion:\n"
                    "What two things describe a vector?")
