"""The Manim programs and plans the offline text2video example replays.

Written for this project as a coder model would answer: one Scene class per section of
the plan. Two first answers are deliberately faulty so the offline run exercises the
repair loop: `pythagoras` round 0 has a layout fault (the formula is placed on top of a
side's label, and a note runs off the frame), `derivative` round 0 calls `Axes.get_graph`,
which Manim CE no longer has (a runtime error). Their revisions fix exactly that.
"""

from __future__ import annotations

PLANS = {
    "pythagoras": """1. Intro: title, and the question "how long is the longest side of a right
triangle?"
2. Triangle: draw a right triangle with sides a, b and hypotenuse c, then state a² + b² = c².
3. Example: work through 3² + 4² = 25 = 5².""",
    "derivative": """1. Title: "The derivative" and the idea "slope at a point".
2. Slope: the curve y = x², a secant line that shrinks into the tangent at x = 1, slope 2.""",
    "binary-search": """1. Title: "Binary search" and the rule "halve the range each step".
2. Steps: a sorted row of numbers; look for 23 by checking the middle and discarding half.""",
}

PYTHAGORAS_INTRO = '''
class Intro(Scene):
    def construct(self):
        title = Text("The Pythagorean theorem", font_size=44).to_edge(UP)
        question = Text("How long is the longest side\\nof a right triangle?", font_size=34)
        self.play(Write(title))
        self.play(FadeIn(question, shift=UP))
        self.wait(0.5)
'''

PYTHAGORAS_EXAMPLE = '''
class Example(Scene):
    def construct(self):
        steps = VGroup(
            Text("3² + 4² = 9 + 16", font_size=40),
            Text("= 25 = 5²", font_size=40),
            Text("so c = 5", font_size=40, color=YELLOW),
        ).arrange(DOWN, buff=0.5)
        for step in steps:
            self.play(Write(step), run_time=0.8)
        self.wait(0.5)
'''

PYTHAGORAS_TRIANGLE_FAULTY = '''
class Triangle(Scene):
    def construct(self):
        tri = Polygon(LEFT * 2 + DOWN, RIGHT * 2 + DOWN, LEFT * 2 + UP * 2, color=BLUE)
        a = Text("a", font_size=36).next_to(tri, DOWN)
        b = Text("b", font_size=36).next_to(tri, LEFT)
        c = Text("c", font_size=36).move_to(tri.get_center() + RIGHT * 0.6 + UP * 0.4)
        self.play(Create(tri))
        self.play(Write(a), Write(b), Write(c))
        formula = Text("a² + b² = c²", font_size=48).move_to(a)
        note = Text("c is the side opposite the right angle", font_size=30).shift(RIGHT * 6)
        self.play(Write(formula), FadeIn(note))
        self.wait(0.5)
'''

PYTHAGORAS_TRIANGLE_FIXED = '''
class Triangle(Scene):
    def construct(self):
        tri = Polygon(LEFT * 2 + DOWN, RIGHT * 2 + DOWN, LEFT * 2 + UP * 2, color=BLUE)
        a = Text("a", font_size=36).next_to(tri, DOWN)
        b = Text("b", font_size=36).next_to(tri, LEFT)
        c = Text("c", font_size=36).move_to(tri.get_center() + RIGHT * 0.6 + UP * 0.4)
        self.play(Create(tri))
        self.play(Write(a), Write(b), Write(c))
        formula = Text("a² + b² = c²", font_size=48).to_edge(UP)
        note = Text("c is the side opposite the right angle", font_size=30).to_edge(DOWN)
        self.play(Write(formula), FadeIn(note))
        self.wait(0.5)
'''

DERIVATIVE_TITLE = '''
class Title(Scene):
    def construct(self):
        title = Text("The derivative", font_size=48)
        idea = Text("the slope of a curve at one point", font_size=32).next_to(title, DOWN)
        self.play(Write(title))
        self.play(FadeIn(idea))
        self.wait(0.5)
'''

DERIVATIVE_SLOPE = '''
class Slope(Scene):
    def construct(self):
        axes = Axes(x_range=[-1, 3, 1], y_range=[-1, 9, 2], x_length=6, y_length=4.5)
        axes.to_edge(DOWN)
        curve = axes.{plot}(lambda x: x ** 2, color=BLUE)
        label = Text("y = x²", font_size=32).next_to(axes, UP).shift(RIGHT * 2)
        self.play(Create(axes), Create(curve), FadeIn(label))
        h = ValueTracker(1.5)
        secant = always_redraw(lambda: axes.get_secant_slope_group(
            x=1, graph=curve, dx=h.get_value(), secant_line_length=5,
            secant_line_color=YELLOW))
        self.play(Create(secant))
        self.play(h.animate.set_value(0.01), run_time=2)
        slope = Text("slope at x = 1 is 2", font_size=32).to_edge(UP)
        self.play(Write(slope))
        self.wait(0.5)
'''

SEARCH_TITLE = '''
class Title(Scene):
    def construct(self):
        title = Text("Binary search", font_size=48)
        rule = Text("halve the range at every step", font_size=32).next_to(title, DOWN)
        self.play(Write(title))
        self.play(FadeIn(rule))
        self.wait(0.5)
'''

SEARCH_STEPS = '''
class Steps(Scene):
    def construct(self):
        values = [2, 5, 8, 12, 16, 23, 38, 56, 72]
        cells = VGroup(*[
            VGroup(Square(side_length=1), Text(str(v), font_size=30)) for v in values
        ]).arrange(RIGHT, buff=0.1)
        goal = Text("find 23", font_size=36).to_edge(UP)
        self.play(FadeIn(cells), Write(goal))
        low, high = 0, len(values) - 1
        while low <= high:
            mid = (low + high) // 2
            self.play(cells[mid][0].animate.set_fill(YELLOW, opacity=0.5), run_time=0.5)
            if values[mid] == 23:
                break
            if values[mid] < 23:
                dropped, low = cells[low:mid + 1], mid + 1
            else:
                dropped, high = cells[mid:high + 1], mid - 1
            self.play(dropped.animate.set_opacity(0.2), run_time=0.5)
        self.wait(0.5)
'''

HEADER = "from manim import *\n"


def program(*scenes: str) -> str:
    return HEADER + "".join(scenes)


PROGRAMS = {
    "pythagoras": [
        program(PYTHAGORAS_INTRO, PYTHAGORAS_TRIANGLE_FAULTY, PYTHAGORAS_EXAMPLE),
        program(PYTHAGORAS_INTRO, PYTHAGORAS_TRIANGLE_FIXED, PYTHAGORAS_EXAMPLE),
    ],
    "derivative": [
        program(DERIVATIVE_TITLE, DERIVATIVE_SLOPE.replace("{plot}", "get_graph")),
        program(DERIVATIVE_TITLE, DERIVATIVE_SLOPE.replace("{plot}", "plot")),
    ],
    "binary-search": [
        program(SEARCH_TITLE, SEARCH_STEPS),
    ],
}
