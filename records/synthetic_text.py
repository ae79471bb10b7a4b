"""Realistic invented Chinese text for synthetic data (deterministic for a seeded random
generator): personal names (some compound surnames), courses, phone numbers, addresses, and
notes assembled from phrases a school writes. Used by the scale demo (records.scale_demo) and
the benchmarks (bench/gen_handovers.py); nothing here names a real person."""

from __future__ import annotations

import random

__all__ = ["COURSES", "address", "name", "notes", "phone"]

SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏"
    "魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵"
) + ["欧阳", "司马", "诸葛", "上官", "东方", "慕容"]
GIVEN = list(
    "子梓涵轩浩宇欣怡雨萱博文晨思佳一诺可馨明俊杰睿泽嘉昊然若彤语瑶家豪天佑铭锦昕悦安琪沐阳辰逸"
    "墨乐靖晴雅婷凯瑞涛翔鹏霖宸煜皓婉清芮妍伊依诗颖蕊航远志"
)
COURSES = [
    "Python入门班",
    "Python进阶班",
    "Scratch创意编程",
    "乐高机器人班",
    "C++信奥班",
    "GESP3级冲刺班",
    "GESP5级冲刺班",
    "少儿英语",
    "新概念英语一册",
    "奥数提高班",
    "硬笔书法班",
    "美术素描班",
    "钢琴启蒙",
    "围棋初级班",
    "小学数学同步",
    "初中物理提高",
    "AI人工智能启蒙",
    "Arduino创客班",
]
CLAUSES = [
    "基础较弱，需要从头讲起",
    "理解能力强，进度可以加快",
    "上课注意力不够集中",
    "作业按时完成，正确率高",
    "家长希望孩子参加{course}的考级",
    "家长关心学习进度和课后练习",
    "对编程很感兴趣，经常主动提问",
    "数学基础一般，逻辑思维需要加强",
    "本周课堂测验{score}分",
    "期中测评成绩{score}分，排名第{rank}",
    "因搬家申请退费，剩余{lessons}课时",
    "家庭经济困难，申请分期缴费",
    "身体原因请假两周，需要补课",
    "周{day}下午{hour}点上课，地点{floor}楼教室",
    "已缴费{fee}元，付款方式{pay}",
    "转入{course}继续学习",
    "教材和练习册已发放齐全",
    "联系电话{phone}，请家长及时接听",
    "住址{address}，接送由家长负责",
    "性格内向，需要老师多鼓励",
    "学习目标是通过信息学竞赛初赛",
    "希望调整到周末班",
    "续班意向明确",
]
DISTRICTS = ["朝阳区", "海淀区", "浦东新区", "天河区", "南山区", "武侯区", "西湖区", "鼓楼区"]
ROADS = ["幸福路", "建设路", "人民路", "解放路", "中山路", "和平街", "文化路", "光明路", "新华路"]
ESTATES = ["阳光小区", "锦绣花园", "金色家园", "翠湖苑", "书香名邸", "滨江华府"]
PAY = ["微信", "支付宝", "银行卡", "现金"]
DAYS = "一二三四五六日"


def phone(rng: random.Random) -> str:
    return f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"


def name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def address(rng: random.Random) -> str:
    return (
        f"{rng.choice(DISTRICTS)}{rng.choice(ROADS)}{rng.randint(1, 300)}号"
        f"{rng.choice(ESTATES)}{rng.randint(1, 30)}栋{rng.randint(101, 2805)}室"
    )


def notes(rng: random.Random, course: str, tel: str, addr: str) -> str:
    parts = rng.sample(CLAUSES, rng.randint(3, 7))
    values = {
        "course": course,
        "score": rng.randint(55, 100),
        "rank": rng.randint(1, 40),
        "lessons": rng.randint(2, 40),
        "day": rng.choice(DAYS),
        "hour": rng.randint(1, 8),
        "floor": rng.randint(1, 6),
        "fee": rng.randrange(1800, 12800, 100),
        "pay": rng.choice(PAY),
        "phone": tel,
        "address": addr,
    }
    return "；".join(p.format(**values) for p in parts) + "。"
